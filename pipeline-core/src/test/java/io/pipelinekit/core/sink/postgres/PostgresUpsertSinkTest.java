package io.pipelinekit.core.sink.postgres;

import io.pipelinekit.core.dlq.DeadLetterPolicy;
import io.pipelinekit.core.dlq.FailureAction;
import io.pipelinekit.core.sink.ErrorClassifier;
import io.pipelinekit.core.sink.IdempotentSinkSettings;
import io.pipelinekit.core.sink.postgres.internal.PgText;
import io.pipelinekit.schemas.dlq.FailureStage;
import io.pipelinekit.schemas.inventory.StockLevel;

import org.apache.flink.configuration.Configuration;

import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.SocketException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Build-time checks, key and version extraction, and error classification of the sink. */
class PostgresUpsertSinkTest {

    private static final IdempotentSinkSettings SETTINGS =
            IdempotentSinkSettings.builder(
                            DeadLetterPolicy.builder("test")
                                    .onFailure(FailureStage.SINK, FailureAction.SKIP_AND_COUNT)
                                    .build())
                    .build();

    @Test
    void anIncompleteSinkListsEverythingToChange() {
        assertThatThrownBy(
                        () ->
                                PostgresUpsertSink.<StockLevel>builder()
                                        .jdbcUrl("jdbc:mysql://db/x")
                                        .table("stock_levels")
                                        .column("quantity", StockLevel::getQuantity)
                                        .build())
                .hasMessageContaining("PostgresUpsertSink for stock_levels is not complete")
                .hasMessageContaining("not a PostgreSQL URL: jdbc:mysql://db/x")
                .hasMessageContaining("keyColumns(...) is missing")
                .hasMessageContaining("version(\"version\", record -> ...) is missing")
                .hasMessageContaining("settings(IdempotentSinkSettings");
        assertThatThrownBy(
                        () ->
                                PostgresUpsertSink.<StockLevel>builder()
                                        .jdbcUrl("jdbc:postgresql://db/x")
                                        .table("stock_levels")
                                        .keyColumns("product_id", "warehouse_id")
                                        .column("product_id", StockLevel::getProductId)
                                        .column("version", StockLevel::getVersion)
                                        .version("version", StockLevel::getVersion)
                                        .settings(SETTINGS)
                                        .build())
                .hasMessageContaining("key column 'warehouse_id' has no value")
                .hasMessageContaining("'version' is both mapped and the version column");
    }

    @Test
    void theConnectionComesFromTheSinkOptions() {
        assertThatThrownBy(
                        () ->
                                PostgresUpsertSink.<StockLevel>builder()
                                        .connection(new Configuration()))
                .hasMessageContaining("set sink.postgres.url");
        Configuration config = new Configuration();
        config.set(PostgresSinkOptions.URL, "jdbc:mysql://db/x");
        config.set(PostgresSinkOptions.USERNAME, "sync");
        assertThatThrownBy(
                        () ->
                                PostgresUpsertSink.<StockLevel>builder()
                                        .connection(config)
                                        .table("stock_levels")
                                        .keyColumns("product_id")
                                        .column("product_id", StockLevel::getProductId)
                                        .version("version", StockLevel::getVersion)
                                        .settings(SETTINGS)
                                        .build())
                .hasMessageContaining("not a PostgreSQL URL: jdbc:mysql://db/x");
        config.set(PostgresSinkOptions.URL, "jdbc:postgresql://db/x");
        assertThat(
                        PostgresUpsertSink.<StockLevel>builder()
                                .connection(config)
                                .table("stock_levels")
                                .keyColumns("product_id")
                                .column("product_id", StockLevel::getProductId)
                                .version("version", StockLevel::getVersion)
                                .settings(SETTINGS)
                                .build()
                                .username())
                .isEqualTo("sync");
    }

    @Test
    void keysAreTheKeyColumnsAsTextAndNullKeysAreRejected() {
        PostgresUpsertSink<StockLevel> sink = sink();
        StockLevel level =
                StockLevel.newBuilder()
                        .setProductId("p1")
                        .setWarehouseId("w1")
                        .setQuantity(3)
                        .setProductTotal(3)
                        .setVersion(42)
                        .setUpdatedAt(Instant.EPOCH)
                        .build();
        assertThat(sink.keyOf(level)).isEqualTo(List.of("p1", "w1"));
        assertThat(sink.versionOf(level)).isEqualTo(42);
        assertThat(sink.rowText(level)).containsExactly("p1", "w1", "3", "42");
        level.setWarehouseId(null);
        assertThatThrownBy(() -> sink.keyOf(level)).hasMessageContaining("'warehouse_id' is null");
    }

    @Test
    void failuresAreClassifiedBySqlState() {
        ErrorClassifier errors = sink().errorClassifier();
        assertThat(errors.classify(new SQLException("gone", "08006")))
                .isEqualTo(ErrorClassifier.Kind.TRANSIENT);
        assertThat(errors.classify(new SQLException("deadlock", "40P01")))
                .isEqualTo(ErrorClassifier.Kind.TRANSIENT);
        assertThat(errors.classify(new SQLException("shutdown", "57P01")))
                .isEqualTo(ErrorClassifier.Kind.TRANSIENT);
        assertThat(errors.classify(new SQLException("check", "23514")))
                .isEqualTo(ErrorClassifier.Kind.PERMANENT);
        assertThat(errors.reason(new SQLException("check", "23514"))).isEqualTo("CHECK_VIOLATION");
        assertThat(errors.classify(new SQLException("bad number", "22P02")))
                .isEqualTo(ErrorClassifier.Kind.PERMANENT);
        assertThat(errors.classify(new SQLException("no table", "42P01")))
                .isEqualTo(ErrorClassifier.Kind.FATAL);
        assertThat(errors.classify(new SQLException("password", "28P01")))
                .isEqualTo(ErrorClassifier.Kind.FATAL);
        assertThat(errors.reason(new SQLException("no table", "42P01")))
                .isEqualTo("SQLSTATE_42P01");
        assertThat(errors.classify(new SQLException("io", null, new SocketException("reset"))))
                .isEqualTo(ErrorClassifier.Kind.TRANSIENT);
        assertThat(errors.classify(new IllegalArgumentException("bad value")))
                .isEqualTo(ErrorClassifier.Kind.PERMANENT);
    }

    @Test
    void valuesTravelAsPostgresTextInput() {
        assertThat(PgText.of(new Utf8("sku-1"))).isEqualTo("sku-1");
        assertThat(PgText.of(new BigDecimal("1E+3"))).isEqualTo("1000");
        assertThat(PgText.of(Instant.parse("2026-01-02T03:04:05.123Z")))
                .isEqualTo("2026-01-02T03:04:05.123Z");
        assertThat(PgText.of(new byte[] {0x0a, (byte) 0xff})).isEqualTo("\\x0aff");
        UUID id = UUID.randomUUID();
        assertThat(PgText.of(id)).isEqualTo(id.toString());
        assertThat(PgText.of(null)).isNull();
        assertThatThrownBy(() -> PgText.of("a\0b")).hasMessageContaining("NUL");
    }

    private static PostgresUpsertSink<StockLevel> sink() {
        return PostgresUpsertSink.<StockLevel>builder()
                .jdbcUrl("jdbc:postgresql://db:5432/warehouse")
                .table("stock_levels")
                .keyColumns("product_id", "warehouse_id")
                .column("product_id", StockLevel::getProductId)
                .column("warehouse_id", StockLevel::getWarehouseId)
                .column("quantity", StockLevel::getQuantity)
                .version("version", StockLevel::getVersion)
                .settings(SETTINGS)
                .build();
    }
}
