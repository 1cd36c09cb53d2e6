package io.pipelinekit.jobs.fraud;

import io.pipelinekit.schemas.fraud.AmountAnomalyParameters;
import io.pipelinekit.schemas.fraud.CardTestingParameters;
import io.pipelinekit.schemas.fraud.FraudRule;
import io.pipelinekit.schemas.fraud.ImpossibleTravelParameters;
import io.pipelinekit.schemas.fraud.VelocityParameters;
import io.pipelinekit.schemas.payments.PaymentChannel;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The expected alerts, computed from the rule definitions alone and independently of the job's
 * code: each card's transactions in (event time, id) order, each scored against the ones before it
 * (at most {@code maxHistory}, within {@code maxAgeMillis}). Alerts as "ruleId|version|txId".
 */
final class ReferenceModel {

    private ReferenceModel() {}

    static TreeSet<String> expectedAlerts(
            List<PaymentTransaction> transactions,
            List<FraudRule> rules,
            int maxHistory,
            long maxAgeMillis) {
        return expectedAlerts(transactions, rules, maxHistory, maxAgeMillis, tx -> true);
    }

    /** Like the above, but only the transactions {@code scored} accepts are scored. */
    static TreeSet<String> expectedAlerts(
            List<PaymentTransaction> transactions,
            List<FraudRule> rules,
            int maxHistory,
            long maxAgeMillis,
            java.util.function.Predicate<PaymentTransaction> scored) {
        Map<String, List<PaymentTransaction>> byCard = new TreeMap<>();
        for (PaymentTransaction tx : transactions) {
            byCard.computeIfAbsent(tx.getCardId(), k -> new ArrayList<>()).add(tx);
        }
        TreeSet<String> alerts = new TreeSet<>();
        for (List<PaymentTransaction> card : byCard.values()) {
            card.sort(
                    Comparator.comparing(PaymentTransaction::getEventTime)
                            .thenComparing(tx -> tx.getTransactionId().toString()));
            for (int i = 0; i < card.size(); i++) {
                PaymentTransaction tx = card.get(i);
                if (!scored.test(tx)) {
                    continue;
                }
                long t = millis(tx);
                List<PaymentTransaction> before = new ArrayList<>();
                for (int j = 0; j < i; j++) {
                    if (millis(card.get(j)) > t - maxAgeMillis) {
                        before.add(card.get(j));
                    }
                }
                if (before.size() > maxHistory) {
                    before = before.subList(before.size() - maxHistory, before.size());
                }
                for (FraudRule rule : rules) {
                    if (rule.getEnabled() && fires(rule.getParameters(), tx, before)) {
                        alerts.add(
                                rule.getRuleId()
                                        + "|"
                                        + rule.getVersion()
                                        + "|"
                                        + tx.getTransactionId());
                    }
                }
            }
        }
        return alerts;
    }

    private static boolean fires(Object p, PaymentTransaction tx, List<PaymentTransaction> before) {
        long t = millis(tx);
        if (p instanceof VelocityParameters) {
            VelocityParameters v = (VelocityParameters) p;
            long w = v.getWindowSeconds() * 1000L;
            int count = 1;
            BigDecimal sum = tx.getAmount();
            for (PaymentTransaction b : before) {
                if (millis(b) > t - w) {
                    count++;
                    sum = sum.add(b.getAmount());
                }
            }
            return (v.getMaxTransactions() != null && count > v.getMaxTransactions())
                    || (v.getMaxAmount() != null && sum.compareTo(v.getMaxAmount()) > 0);
        }
        if (p instanceof AmountAnomalyParameters) {
            AmountAnomalyParameters a = (AmountAnomalyParameters) p;
            int n = Math.min(a.getHistorySize(), before.size());
            if (n == 0 || n < a.getMinHistory()) {
                return false;
            }
            double[] xs = new double[n];
            for (int k = 0; k < n; k++) {
                xs[k] = before.get(before.size() - n + k).getAmount().doubleValue();
            }
            double mean = 0;
            for (double x : xs) {
                mean += x;
            }
            mean /= n;
            double var = 0;
            for (double x : xs) {
                var += (x - mean) * (x - mean);
            }
            return tx.getAmount().doubleValue()
                    > mean + a.getStandardDeviations() * Math.sqrt(var / n);
        }
        if (p instanceof ImpossibleTravelParameters) {
            ImpossibleTravelParameters it = (ImpossibleTravelParameters) p;
            if (!located(tx)) {
                return false;
            }
            PaymentTransaction previous = null;
            for (PaymentTransaction b : before) {
                if (located(b)) {
                    previous = b;
                }
            }
            if (previous == null) {
                return false;
            }
            double km = haversineKm(previous, tx);
            if (km < it.getMinDistanceKm()) {
                return false;
            }
            double hours = (t - millis(previous)) / 3_600_000.0;
            return hours <= 0 || km / hours > it.getMaxSpeedKmh();
        }
        if (p instanceof CardTestingParameters) {
            CardTestingParameters c = (CardTestingParameters) p;
            if (tx.getAmount().compareTo(c.getLargeAmount()) < 0) {
                return false;
            }
            long w = c.getWindowSeconds() * 1000L;
            int probes = 0;
            for (PaymentTransaction b : before) {
                if (millis(b) > t - w && b.getAmount().compareTo(c.getSmallAmount()) <= 0) {
                    probes++;
                }
            }
            return probes >= c.getMinSmallTransactions();
        }
        throw new IllegalArgumentException("unknown rule parameters " + p);
    }

    private static boolean located(PaymentTransaction tx) {
        PaymentChannel c = tx.getChannel();
        return tx.getLocation() != null
                && (c == PaymentChannel.CARD_PRESENT
                        || c == PaymentChannel.CONTACTLESS
                        || c == PaymentChannel.ATM);
    }

    private static double haversineKm(PaymentTransaction a, PaymentTransaction b) {
        double lat1 = Math.toRadians(a.getLocation().getLatitude());
        double lat2 = Math.toRadians(b.getLocation().getLatitude());
        double dLat = lat2 - lat1;
        double dLon =
                Math.toRadians(b.getLocation().getLongitude() - a.getLocation().getLongitude());
        double h =
                Math.pow(Math.sin(dLat / 2), 2)
                        + Math.cos(lat1) * Math.cos(lat2) * Math.pow(Math.sin(dLon / 2), 2);
        return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)));
    }

    private static long millis(PaymentTransaction tx) {
        return tx.getEventTime().toEpochMilli();
    }
}
