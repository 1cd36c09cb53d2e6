package io.pipelinekit.jobs.fraud.rules;

import io.pipelinekit.schemas.payments.PaymentChannel;
import io.pipelinekit.schemas.payments.PaymentTransaction;

import org.apache.flink.annotation.PublicEvolving;

import java.math.BigDecimal;

/**
 * What the rules remember of a card's earlier transaction (a Flink POJO, kept in the card's state:
 * public fields and a no-argument constructor, so its schema can evolve by adding fields).
 */
@PublicEvolving
public class PastTransaction {

    public String transactionId;
    public long eventTimeMillis;
    public BigDecimal amount;
    public String channel;

    /** Null unless the card was present and the terminal's location is known. */
    public Double latitude;

    public Double longitude;

    public PastTransaction() {}

    public static PastTransaction of(PaymentTransaction tx) {
        PastTransaction past = new PastTransaction();
        past.transactionId = tx.getTransactionId().toString();
        past.eventTimeMillis = tx.getEventTime().toEpochMilli();
        past.amount = tx.getAmount();
        past.channel = tx.getChannel().name();
        if (tx.getLocation() != null && cardPresent(tx.getChannel())) {
            past.latitude = tx.getLocation().getLatitude();
            past.longitude = tx.getLocation().getLongitude();
        }
        return past;
    }

    /** Whether the card itself was at the terminal (so the location is the card's). */
    public static boolean cardPresent(PaymentChannel channel) {
        return channel == PaymentChannel.CARD_PRESENT
                || channel == PaymentChannel.CONTACTLESS
                || channel == PaymentChannel.ATM;
    }

    public boolean hasLocation() {
        return latitude != null && longitude != null;
    }
}
