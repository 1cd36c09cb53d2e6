package io.pipelinekit.testkit.data;

import io.pipelinekit.schemas.payments.GeoLocation;
import io.pipelinekit.schemas.payments.PaymentChannel;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.annotation.PublicEvolving;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.UUID;

/**
 * A deterministic stream of card payments for fraud tests and benchmarks: realistic background
 * traffic (many cards with skewed activity, a few hot cards and a long tail; log-normal amounts;
 * card-present payments near each card's home city) with planted fraud patterns (velocity bursts,
 * amount spikes, impossible travel, card testing). The same seed gives the same transactions.
 *
 * <pre>{@code
 * List<PaymentTransaction> payments =
 *         TransactionGenerator.builder().seed(42).cards(2_000).transactions(50_000)
 *                 .velocityBursts(20).amountSpikes(20).impossibleTravel(20).cardTesting(20)
 *                 .build().generate();
 * }</pre>
 */
@PublicEvolving
public final class TransactionGenerator {

    /** Cities card-present payments happen in: name, country, latitude, longitude. */
    private static final Object[][] CITIES = {
        {"Berlin", "DE", 52.520, 13.405},
        {"Munich", "DE", 48.137, 11.575},
        {"Hamburg", "DE", 53.551, 9.993},
        {"Paris", "FR", 48.857, 2.352},
        {"Lyon", "FR", 45.764, 4.836},
        {"Madrid", "ES", 40.417, -3.704},
        {"Barcelona", "ES", 41.385, 2.173},
        {"Rome", "IT", 41.903, 12.496},
        {"Milan", "IT", 45.464, 9.190},
        {"Vienna", "AT", 48.208, 16.373},
        {"Warsaw", "PL", 52.230, 21.012},
        {"Amsterdam", "NL", 52.368, 4.904},
        {"Stockholm", "SE", 59.329, 18.069},
        {"Lisbon", "PT", 38.722, -9.139},
        {"Dublin", "IE", 53.350, -6.260},
    };

    private static final String[] MCCS = {"5411", "5812", "5541", "5999", "4111", "5732", "7011"};

    private final long seed;
    private final int cards;
    private final int transactions;
    private final Instant start;
    private final Duration meanGap;
    private final int velocityBursts;
    private final int amountSpikes;
    private final int impossibleTravel;
    private final int cardTesting;

    private TransactionGenerator(Builder b) {
        this.seed = b.seed;
        this.cards = b.cards;
        this.transactions = b.transactions;
        this.start = b.start;
        this.meanGap = b.meanGap;
        this.velocityBursts = b.velocityBursts;
        this.amountSpikes = b.amountSpikes;
        this.impossibleTravel = b.impossibleTravel;
        this.cardTesting = b.cardTesting;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** All transactions, ordered by event time (then id). */
    public List<PaymentTransaction> generate() {
        Random random = new Random(seed);
        List<PaymentTransaction> out = new ArrayList<>(transactions + 100);
        double[] cumulative = zipf(cards, 0.9);
        long time = start.toEpochMilli();
        for (int i = 0; i < transactions; i++) {
            time += Math.max(1, (long) (-Math.log(1 - random.nextDouble()) * meanGap.toMillis()));
            int card = pick(cumulative, random.nextDouble());
            out.add(background(random, card, time, i));
        }
        long end = time;
        for (int p = 0; p < velocityBursts; p++) {
            int card = random.nextInt(cards);
            long t =
                    start.toEpochMilli()
                            + (long) (random.nextDouble() * (end - start.toEpochMilli()));
            for (int k = 0; k < 8; k++) {
                out.add(
                        payment(
                                card,
                                t + k * 5_000L,
                                amount(random),
                                PaymentChannel.ECOMMERCE,
                                null,
                                "velocity-" + p + "-" + k));
            }
        }
        for (int p = 0; p < amountSpikes; p++) {
            int card = pick(cumulative, random.nextDouble() * 0.3); // an active card: has history
            long t = end - (long) (random.nextDouble() * (end - start.toEpochMilli()) / 4);
            out.add(
                    payment(
                            card,
                            t,
                            new BigDecimal(4000 + random.nextInt(6000)),
                            PaymentChannel.ECOMMERCE,
                            null,
                            "spike-" + p));
        }
        for (int p = 0; p < impossibleTravel; p++) {
            int card = random.nextInt(cards);
            long t =
                    start.toEpochMilli()
                            + (long) (random.nextDouble() * (end - start.toEpochMilli()));
            Object[] home = CITIES[home(card)];
            Object[] far = CITIES[(home(card) + 5) % CITIES.length];
            out.add(
                    payment(
                            card,
                            t,
                            amount(random),
                            PaymentChannel.CARD_PRESENT,
                            near(random, home),
                            "travel-a-" + p));
            out.add(
                    payment(
                            card,
                            t + 20 * 60_000L,
                            amount(random),
                            PaymentChannel.CARD_PRESENT,
                            near(random, far),
                            "travel-b-" + p));
        }
        for (int p = 0; p < cardTesting; p++) {
            int card = random.nextInt(cards);
            long t =
                    start.toEpochMilli()
                            + (long) (random.nextDouble() * (end - start.toEpochMilli()));
            for (int k = 0; k < 4; k++) {
                out.add(
                        payment(
                                card,
                                t + k * 30_000L,
                                new BigDecimal("1.00"),
                                PaymentChannel.ECOMMERCE,
                                null,
                                "probe-" + p + "-" + k));
            }
            out.add(
                    payment(
                            card,
                            t + 150_000L,
                            new BigDecimal(900 + random.nextInt(100)),
                            PaymentChannel.ECOMMERCE,
                            null,
                            "cashout-" + p));
        }
        out.sort(
                Comparator.comparing(PaymentTransaction::getEventTime)
                        .thenComparing(tx -> tx.getTransactionId().toString()));
        return out;
    }

    private PaymentTransaction background(Random random, int card, long time, int index) {
        double channelDice = random.nextDouble();
        PaymentChannel channel =
                channelDice < 0.45
                        ? PaymentChannel.CARD_PRESENT
                        : channelDice < 0.65
                                ? PaymentChannel.CONTACTLESS
                                : channelDice < 0.95
                                        ? PaymentChannel.ECOMMERCE
                                        : PaymentChannel.ATM;
        GeoLocation location =
                channel == PaymentChannel.ECOMMERCE ? null : near(random, CITIES[home(card)]);
        return payment(card, time, amount(random), channel, location, "bg-" + index);
    }

    private PaymentTransaction payment(
            int card,
            long time,
            BigDecimal amount,
            PaymentChannel channel,
            GeoLocation location,
            String label) {
        int merchant = Math.floorMod(Objects.hash(label, card), 500);
        return PaymentTransaction.newBuilder()
                .setTransactionId(
                        UUID.nameUUIDFromBytes(
                                (seed + "/" + label).getBytes(StandardCharsets.UTF_8)))
                .setCardId(cardId(card))
                .setAccountId("acct-" + (card / 2))
                .setAmount(amount.setScale(4, RoundingMode.HALF_UP))
                .setCurrency("EUR")
                .setMerchantId("merchant-" + merchant)
                .setMerchantName(null)
                .setMcc(MCCS[merchant % MCCS.length])
                .setLocation(location)
                .setChannel(channel)
                .setEventTime(Instant.ofEpochMilli(time))
                .build();
    }

    /** The id of card number {@code index} (0 is the most active). */
    public static String cardId(int index) {
        return String.format("card-%06d", index);
    }

    private static int home(int card) {
        return Math.floorMod(card * 7919, CITIES.length);
    }

    private static GeoLocation near(Random random, Object[] city) {
        return GeoLocation.newBuilder()
                .setLatitude((double) city[2] + (random.nextDouble() - 0.5) * 0.1)
                .setLongitude((double) city[3] + (random.nextDouble() - 0.5) * 0.1)
                .setCountry((String) city[1])
                .setCity((String) city[0])
                .build();
    }

    private static BigDecimal amount(Random random) {
        double value = Math.exp(3.3 + 0.8 * random.nextGaussian());
        return BigDecimal.valueOf(Math.min(2000, Math.max(2.5, value)))
                .setScale(2, RoundingMode.HALF_UP);
    }

    private static double[] zipf(int n, double exponent) {
        double[] cumulative = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1 / Math.pow(i + 1, exponent);
            cumulative[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            cumulative[i] /= sum;
        }
        return cumulative;
    }

    private static int pick(double[] cumulative, double u) {
        int low = 0;
        int high = cumulative.length - 1;
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (cumulative[mid] < u) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }

    /** Builder of {@link TransactionGenerator}. */
    @PublicEvolving
    public static final class Builder {
        private long seed = 42;
        private int cards = 1_000;
        private int transactions = 10_000;
        private Instant start = Instant.parse("2026-01-01T00:00:00Z");
        private Duration meanGap = Duration.ofMillis(200);
        private int velocityBursts;
        private int amountSpikes;
        private int impossibleTravel;
        private int cardTesting;

        private Builder() {}

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Distinct cards; activity follows a Zipf law (card-000000 is the hottest). */
        public Builder cards(int cards) {
            if (cards < 1) {
                throw new IllegalArgumentException("cards must be >= 1, was " + cards);
            }
            this.cards = cards;
            return this;
        }

        /** Background transactions (planted ones come on top). */
        public Builder transactions(int transactions) {
            if (transactions < 0) {
                throw new IllegalArgumentException("transactions must be >= 0");
            }
            this.transactions = transactions;
            return this;
        }

        public Builder start(Instant start) {
            this.start = Objects.requireNonNull(start, "start");
            return this;
        }

        /** Mean event-time gap between background transactions (exponential). */
        public Builder meanGap(Duration gap) {
            this.meanGap = Objects.requireNonNull(gap, "meanGap");
            return this;
        }

        /** Bursts of 8 online payments of one card within 35 s. */
        public Builder velocityBursts(int count) {
            this.velocityBursts = count;
            return this;
        }

        /** Payments of 4,000-10,000 by active cards. */
        public Builder amountSpikes(int count) {
            this.amountSpikes = count;
            return this;
        }

        /** Card-present pairs in cities hundreds of km apart, 20 min apart. */
        public Builder impossibleTravel(int count) {
            this.impossibleTravel = count;
            return this;
        }

        /** Four 1.00 probes within 90 s, then 900-999 a minute later. */
        public Builder cardTesting(int count) {
            this.cardTesting = count;
            return this;
        }

        public TransactionGenerator build() {
            return new TransactionGenerator(this);
        }
    }
}
