package io.pipelinekit.jobs.fraud.rules;

import io.pipelinekit.schemas.fraud.ImpossibleTravelParameters;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.annotation.PublicEvolving;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Optional;

/**
 * Two card-present transactions whose distance over the time between them implies a speed above
 * {@code maxSpeedKmh}; pairs closer than {@code minDistanceKm} are ignored (GPS noise).
 */
@PublicEvolving
public final class ImpossibleTravelRule implements Rule {

    private static final double EARTH_RADIUS_KM = 6371.0088;

    private final double maxSpeedKmh;
    private final double minDistanceKm;

    public ImpossibleTravelRule(ImpossibleTravelParameters parameters) {
        this.maxSpeedKmh = parameters.getMaxSpeedKmh();
        this.minDistanceKm = parameters.getMinDistanceKm();
        RuleChecks.positive("impossible-travel", "maxSpeedKmh", maxSpeedKmh);
        if (!(minDistanceKm >= 0) || Double.isInfinite(minDistanceKm)) {
            throw new IllegalArgumentException(
                    "impossible-travel rule: minDistanceKm must not be negative but is "
                            + minDistanceKm);
        }
    }

    @Override
    public Optional<RuleHit> evaluate(PaymentTransaction tx, List<PastTransaction> history) {
        PastTransaction current = PastTransaction.of(tx);
        if (!current.hasLocation()) {
            return Optional.empty();
        }
        PastTransaction previous = null;
        for (int i = history.size() - 1; i >= 0 && previous == null; i--) {
            if (history.get(i).hasLocation()) {
                previous = history.get(i);
            }
        }
        if (previous == null) {
            return Optional.empty();
        }
        double km = distanceKm(previous, current);
        if (km < minDistanceKm) {
            return Optional.empty();
        }
        double hours = (current.eventTimeMillis - previous.eventTimeMillis) / 3_600_000.0;
        double speed = hours <= 0 ? Double.POSITIVE_INFINITY : km / hours;
        if (speed <= maxSpeedKmh) {
            return Optional.empty();
        }
        return Optional.of(
                new RuleHit(
                        String.format(
                                java.util.Locale.ROOT,
                                "%.0f km in %.1f min since the previous card-present transaction",
                                km,
                                hours * 60),
                        List.of(
                                RuleHit.evidence(
                                        "speedKmh",
                                        Double.isInfinite(speed)
                                                ? "Infinity"
                                                : BigDecimal.valueOf(speed)
                                                        .setScale(1, RoundingMode.HALF_UP),
                                        BigDecimal.valueOf(maxSpeedKmh)),
                                RuleHit.evidence(
                                        "distanceKm",
                                        BigDecimal.valueOf(km).setScale(1, RoundingMode.HALF_UP),
                                        BigDecimal.valueOf(minDistanceKm))),
                        List.of(previous.transactionId)));
    }

    /** Great-circle distance (haversine). */
    static double distanceKm(PastTransaction a, PastTransaction b) {
        double dLat = Math.toRadians(b.latitude - a.latitude);
        double dLon = Math.toRadians(b.longitude - a.longitude);
        double h =
                Math.sin(dLat / 2) * Math.sin(dLat / 2)
                        + Math.cos(Math.toRadians(a.latitude))
                                * Math.cos(Math.toRadians(b.latitude))
                                * Math.sin(dLon / 2)
                                * Math.sin(dLon / 2);
        return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
    }

    @Override
    public boolean usesWindow() {
        return false;
    }
}
