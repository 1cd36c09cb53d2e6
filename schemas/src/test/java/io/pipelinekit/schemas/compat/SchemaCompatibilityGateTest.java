package io.pipelinekit.schemas.compat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaCompatibilityGateTest {

    private static final String NAME = "io.pipelinekit.schemas.test.Order";

    private static final String V1 =
            record(
                    field("id", "\"string\"", null),
                    field("quantity", "\"long\"", null),
                    field(
                            "shipping",
                            "{\"type\": \"record\", \"name\": \"Address\", \"doc\": \"Where to.\","
                                    + " \"fields\": ["
                                    + field("country", "\"string\"", null)
                                    + "]}",
                            null));

    @TempDir Path dir;
    private Path schemas;
    private Path baselines;

    @BeforeEach
    void releaseV1() throws IOException {
        schemas = Files.createDirectories(dir.resolve("avro"));
        baselines = Files.createDirectories(dir.resolve("compat"));
        write(schemas.resolve("order.avsc"), V1);
        assertThat(SchemaCompatibilityGate.release(schemas, baselines))
                .containsExactly(baselines.resolve(NAME).resolve("v1.avsc"));
    }

    @Test
    void projectContractsPassTheirGateAndAllAreReleased() {
        GateReport report =
                SchemaCompatibilityGate.check(Paths.get("src/main/avro"), Paths.get("compat"));

        assertThat(report.violations()).isEmpty();
        assertThat(report.checkedSchemas())
                .containsExactlyInAnyOrder(
                        "io.pipelinekit.schemas.dlq.DeadLetter",
                        "io.pipelinekit.schemas.fraud.FraudAlert",
                        "io.pipelinekit.schemas.fraud.FraudRule",
                        "io.pipelinekit.schemas.inventory.InventoryChangeEvent",
                        "io.pipelinekit.schemas.inventory.StockLevel",
                        "io.pipelinekit.schemas.payments.PaymentTransaction");
        assertThat(report.format()).doesNotContain("(none yet)");
    }

    @Test
    void removingARequiredFieldOfARealContractFailsItsGate() throws IOException {
        Path contracts = Files.createDirectories(dir.resolve("contracts"));
        for (Path file : List.of(Paths.get("src/main/avro/payments/payment-transaction.avsc"))) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            String withoutCurrency = text.replaceAll("\\{\"name\": \"currency\"[^}]*\\},\\s*", "");
            assertThat(withoutCurrency).isNotEqualTo(text);
            write(contracts.resolve(file.getFileName()), withoutCurrency);
        }

        GateReport report = SchemaCompatibilityGate.check(contracts, Paths.get("compat"));

        assertThat(report.violations())
                .filteredOn(v -> !v.rule().equals("DELETED"))
                .singleElement()
                .satisfies(
                        v -> {
                            assertThat(v.schema())
                                    .isEqualTo(
                                            "io.pipelinekit.schemas.payments.PaymentTransaction");
                            assertThat(v.field()).isEqualTo("currency");
                            assertThat(v.rule())
                                    .isEqualTo(
                                            "FULL_TRANSITIVE vs v1:"
                                                    + " READER_FIELD_MISSING_DEFAULT_VALUE");
                        });
    }

    @Test
    void addingAnOptionalFieldWithADefaultPassesEveryMode() throws IOException {
        write(
                schemas.resolve("order.avsc"),
                V1.replace("]}\n", "," + field("note", "[\"null\", \"string\"]", "null") + "]}\n"));

        for (CompatibilityMode mode : CompatibilityMode.values()) {
            mode(mode);
            assertThat(SchemaCompatibilityGate.check(schemas, baselines).violations())
                    .as("mode %s", mode)
                    .isEmpty();
        }
    }

    @Test
    void changingATypeFailsNamingTheFieldAndTheRule() throws IOException {
        write(
                schemas.resolve("order.avsc"),
                V1.replace(
                        "\"name\": \"quantity\", \"type\": \"long\"",
                        "\"name\": \"quantity\", \"type\": \"string\""));

        GateReport report = SchemaCompatibilityGate.check(schemas, baselines);

        assertThat(report.passed()).isFalse();
        assertThat(report.violations())
                .singleElement()
                .satisfies(
                        v -> {
                            assertThat(v.schema()).isEqualTo(NAME);
                            assertThat(v.field()).isEqualTo("quantity");
                            assertThat(v.rule()).isEqualTo("BACKWARD vs v1: TYPE_MISMATCH");
                            assertThat(v.message())
                                    .contains("could not read data written with v1")
                                    .contains("Keep the field's type");
                        });
        assertThat(report.format()).contains("VIOLATION " + NAME + " field 'quantity'");
    }

    @Test
    void changingANestedTypeNamesTheNestedField() throws IOException {
        write(
                schemas.resolve("order.avsc"),
                V1.replace(
                        "\"name\": \"country\", \"type\": \"string\"",
                        "\"name\": \"country\", \"type\": \"int\""));

        assertThat(SchemaCompatibilityGate.check(schemas, baselines).violations())
                .extracting(CompatibilityViolation::field)
                .containsExactly("shipping.country");
    }

    @Test
    void removingARequiredFieldFailsWhereOldConsumersMustKeepReading() throws IOException {
        write(
                schemas.resolve("order.avsc"),
                V1.replace(field("quantity", "\"long\"", null) + ",", ""));

        mode(CompatibilityMode.FULL);
        List<CompatibilityViolation> full =
                SchemaCompatibilityGate.check(schemas, baselines).violations();
        assertThat(full)
                .singleElement()
                .satisfies(
                        v -> {
                            assertThat(v.field()).isEqualTo("quantity");
                            assertThat(v.rule())
                                    .isEqualTo("FULL vs v1: READER_FIELD_MISSING_DEFAULT_VALUE");
                            assertThat(v.message()).contains("consumers still on v1");
                        });

        // Avro's BACKWARD rule alone lets a new reader ignore a field it no longer knows.
        mode(CompatibilityMode.BACKWARD);
        assertThat(SchemaCompatibilityGate.check(schemas, baselines).violations()).isEmpty();
    }

    @Test
    void addingARequiredFieldFailsBackward() throws IOException {
        write(
                schemas.resolve("order.avsc"),
                V1.replace("]}\n", "," + field("currency", "\"string\"", null) + "]}\n"));

        assertThat(SchemaCompatibilityGate.check(schemas, baselines).violations())
                .singleElement()
                .satisfies(
                        v -> {
                            assertThat(v.field()).isEqualTo("currency");
                            assertThat(v.message())
                                    .contains("field 'currency' has no default value")
                                    .contains("Give the field a default");
                        });
    }

    @Test
    void transitiveModesCheckEveryReleasedVersion() throws IOException {
        // v2 drops "quantity" (fine for BACKWARD), v3 brings it back as a string.
        write(
                schemas.resolve("order.avsc"),
                V1.replace(field("quantity", "\"long\"", null) + ",", ""));
        SchemaCompatibilityGate.release(schemas, baselines);
        write(
                schemas.resolve("order.avsc"),
                V1.replace(
                        "\"name\": \"quantity\", \"type\": \"long\"",
                        "\"name\": \"quantity\", \"type\": [\"null\", \"string\"], \"default\":"
                                + " null"));

        mode(CompatibilityMode.BACKWARD);
        assertThat(SchemaCompatibilityGate.check(schemas, baselines).violations()).isEmpty();

        mode(CompatibilityMode.BACKWARD_TRANSITIVE);
        assertThat(SchemaCompatibilityGate.check(schemas, baselines).violations())
                .singleElement()
                .satisfies(v -> assertThat(v.rule()).startsWith("BACKWARD_TRANSITIVE vs v1"));
    }

    @Test
    void undocumentedFieldsAndForeignNamespacesBreakTheConventions() throws IOException {
        write(
                schemas.resolve("order.avsc"),
                V1.replace(
                                "]}\n",
                                ", {\"name\": \"note\", \"type\": [\"null\", \"string\"],"
                                        + " \"default\": null}]}\n")
                        .replace("io.pipelinekit.schemas.test", "com.example"));

        GateReport report = SchemaCompatibilityGate.check(schemas, baselines);

        assertThat(report.violations())
                .extracting(CompatibilityViolation::rule)
                .contains("CONVENTION: namespace", "CONVENTION: doc", "DELETED");
        assertThat(report.violations())
                .filteredOn(v -> v.rule().equals("CONVENTION: doc"))
                .extracting(CompatibilityViolation::field)
                .containsExactly("note");
    }

    @Test
    void deletingAReleasedContractFails() throws IOException {
        Files.delete(schemas.resolve("order.avsc"));
        write(schemas.resolve("other.avsc"), V1.replace("\"Order\"", "\"Other\""));

        assertThat(SchemaCompatibilityGate.check(schemas, baselines).violations())
                .singleElement()
                .satisfies(
                        v -> {
                            assertThat(v.schema()).isEqualTo(NAME);
                            assertThat(v.rule()).isEqualTo("DELETED");
                        });
    }

    @Test
    void releaseRecordsOnlyChangedContracts() throws IOException {
        assertThat(SchemaCompatibilityGate.release(schemas, baselines)).isEmpty();

        write(
                schemas.resolve("order.avsc"),
                V1.replace("]}\n", "," + field("note", "[\"null\", \"string\"]", "null") + "]}\n"));

        assertThat(SchemaCompatibilityGate.release(schemas, baselines))
                .containsExactly(baselines.resolve(NAME).resolve("v2.avsc"));
        assertThat(SchemaCompatibilityGate.check(schemas, baselines).format()).contains("v1,v2");
    }

    @Test
    void unknownModeIsAClearError() throws IOException {
        write(baselines.resolve("compatibility.properties"), NAME + "=STRICT\n");

        assertThatThrownBy(() -> SchemaCompatibilityGate.check(schemas, baselines))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(NAME + "=STRICT")
                .hasMessageContaining("FULL_TRANSITIVE");
    }

    @Test
    void mainFailsTheBuildOnViolations() throws IOException {
        write(
                schemas.resolve("order.avsc"),
                V1.replace(
                        "\"name\": \"quantity\", \"type\": \"long\"",
                        "\"name\": \"quantity\", \"type\": \"string\""));

        assertThatThrownBy(
                        () ->
                                SchemaCompatibilityGate.main(
                                        new String[] {
                                            "--schemas",
                                            schemas.toString(),
                                            "--baselines",
                                            baselines.toString()
                                        }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("1 schema compatibility violation");
    }

    private void mode(CompatibilityMode mode) throws IOException {
        write(baselines.resolve("compatibility.properties"), NAME + "=" + mode + "\n");
    }

    private static String record(String... fields) {
        return "{\"type\": \"record\", \"name\": \"Order\", \"namespace\":"
                + " \"io.pipelinekit.schemas.test\", \"doc\": \"An order.\", \"fields\": ["
                + String.join(",", fields)
                + "]}\n";
    }

    private static String field(String name, String type, String defaultValue) {
        return "{\"name\": \""
                + name
                + "\", \"type\": "
                + type
                + (defaultValue == null ? "" : ", \"default\": " + defaultValue)
                + ", \"doc\": \"The "
                + name
                + ".\"}";
    }

    private static void write(Path file, String content) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }
}
