package io.pipelinekit.core.sink.postgres.internal;

import org.apache.flink.annotation.Internal;

import java.math.BigDecimal;
import java.nio.ByteBuffer;

/**
 * PostgreSQL text representations of Java values: every column travels as an element of a {@code
 * text[]} parameter and is cast to the column's type in SQL.
 */
@Internal
public final class PgText {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private PgText() {}

    public static String of(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof BigDecimal) {
            return ((BigDecimal) value).toPlainString();
        }
        if (value instanceof byte[]) {
            return hex((byte[]) value);
        }
        if (value instanceof ByteBuffer) {
            ByteBuffer buffer = ((ByteBuffer) value).duplicate();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return hex(bytes);
        }
        if (value instanceof Enum) {
            return ((Enum<?>) value).name();
        }
        // Numbers, booleans, CharSequence (Avro Utf8), UUID, Instant (ISO-8601 with Z parses as
        // timestamptz), LocalDate, LocalDateTime: their toString is PostgreSQL's input format.
        String text = value.toString();
        if (text.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(
                    "PostgreSQL text cannot contain NUL characters: " + text.replace('\0', '?'));
        }
        return text;
    }

    private static String hex(byte[] bytes) {
        char[] out = new char[2 + bytes.length * 2];
        out[0] = '\\';
        out[1] = 'x';
        for (int i = 0; i < bytes.length; i++) {
            out[2 + i * 2] = HEX[(bytes[i] >> 4) & 0xF];
            out[3 + i * 2] = HEX[bytes[i] & 0xF];
        }
        return new String(out);
    }
}
