package io.pipelinekit.schemas.payments;

import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The generated classes map the logical types to exact Java types and round-trip. */
class GeneratedContractClassesTest {

    @Test
    void paymentTransactionRoundTripsWithDecimalAndTimestamp() throws Exception {
        PaymentTransaction transaction =
                PaymentTransaction.newBuilder()
                        .setTransactionId(UUID.fromString("7d1f3a2e-9c4b-4e8a-a1b2-3c4d5e6f7a8b"))
                        .setCardId("card-1")
                        .setAccountId("account-1")
                        .setAmount(new BigDecimal("1234.5600"))
                        .setCurrency("EUR")
                        .setMerchantId("m-1")
                        .setMcc("5411")
                        .setLocation(new GeoLocation(52.52, 13.405, "DE", "Berlin"))
                        .setChannel(PaymentChannel.CARD_PRESENT)
                        .setEventTime(Instant.ofEpochMilli(1_700_000_000_123L))
                        .build();

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new SpecificDatumWriter<>(PaymentTransaction.class).write(transaction, encoder);
        encoder.flush();
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null);
        PaymentTransaction copy =
                new SpecificDatumReader<>(PaymentTransaction.class).read(null, decoder);

        assertThat(copy).isEqualTo(transaction);
        assertThat(copy.getAmount()).isEqualByComparingTo("1234.56").isInstanceOf(BigDecimal.class);
        assertThat(copy.getEventTime()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
        assertThat(copy.getMerchantName()).isNull();
        assertThat(copy.getTransactionId())
                .isEqualTo(UUID.fromString("7d1f3a2e-9c4b-4e8a-a1b2-3c4d5e6f7a8b"));
    }
}
