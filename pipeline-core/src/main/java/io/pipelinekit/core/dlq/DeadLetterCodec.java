package io.pipelinekit.core.dlq;

import io.pipelinekit.schemas.dlq.DeadLetter;

import org.apache.flink.annotation.PublicEvolving;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * Bytes of a dead letter on the DLQ topic: Avro single-object encoding (a 10-byte header with the
 * schema fingerprint, then Avro binary), readable without a schema registry by anything that has
 * the {@code schemas} artifact.
 */
@PublicEvolving
public final class DeadLetterCodec {

    private DeadLetterCodec() {}

    public static byte[] encode(DeadLetter letter) {
        try {
            ByteBuffer buffer = DeadLetter.getEncoder().encode(letter);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot encode dead letter " + letter.getId(), e);
        }
    }

    /** Decodes a DLQ record value; fails on bytes that are not a dead letter of a known version. */
    public static DeadLetter decode(byte[] bytes) throws IOException {
        return DeadLetter.getDecoder().decode(bytes);
    }
}
