package io.pipelinekit.jobs.fraud.rules;

import io.pipelinekit.schemas.payments.GeoLocation;
import io.pipelinekit.schemas.payments.PaymentChannel;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Transactions and histories for rule tests: amounts as text, times in seconds. */
public final class Payments {

    /** Second 0 of the test clock. */
    public static final Instant EPOCH = Instant.ofEpochSecond(1_700_000_000L);

    private Payments() {}

    /** An online payment of {@code card}. */
    public static PaymentTransaction online(String card, String amount, long second) {
        return PaymentTransaction.newBuilder(online(amount, second))
                .setTransactionId(
                        UUID.nameUUIDFromBytes((card + "/" + amount + "@" + second).getBytes()))
                .setCardId(card)
                .build();
    }

    /** A card-present payment of {@code card} at a place. */
    public static PaymentTransaction present(
            String card, String amount, long second, double lat, double lon) {
        return PaymentTransaction.newBuilder(present(amount, second, lat, lon))
                .setTransactionId(
                        UUID.nameUUIDFromBytes((card + "/" + amount + "@" + second).getBytes()))
                .setCardId(card)
                .build();
    }

    static PaymentTransaction online(String amount, long second) {
        return tx(amount, second, PaymentChannel.ECOMMERCE, null, null);
    }

    static PaymentTransaction present(String amount, long second, double lat, double lon) {
        return tx(amount, second, PaymentChannel.CARD_PRESENT, lat, lon);
    }

    static PaymentTransaction tx(
            String amount, long second, PaymentChannel channel, Double lat, Double lon) {
        return PaymentTransaction.newBuilder()
                .setTransactionId(UUID.nameUUIDFromBytes((amount + "@" + second).getBytes()))
                .setCardId("card-1")
                .setAccountId("account-1")
                .setAmount(new BigDecimal(amount).setScale(4))
                .setCurrency("EUR")
                .setMerchantId("m-1")
                .setMerchantName(null)
                .setMcc("5411")
                .setLocation(
                        lat == null
                                ? null
                                : GeoLocation.newBuilder()
                                        .setLatitude(lat)
                                        .setLongitude(lon)
                                        .setCountry("DE")
                                        .setCity(null)
                                        .build())
                .setChannel(channel)
                .setEventTime(EPOCH.plusSeconds(second))
                .build();
    }

    static List<PastTransaction> history(PaymentTransaction... transactions) {
        List<PastTransaction> history = new ArrayList<>();
        for (PaymentTransaction tx : transactions) {
            history.add(PastTransaction.of(tx));
        }
        return history;
    }
}
