package io.pipelinekit.schemas.compat;

import java.util.List;

/** Result of a {@link SchemaCompatibilityGate} run: one row per contract plus the violations. */
public final class GateReport {

    private final List<Row> rows;
    private final List<CompatibilityViolation> violations;

    GateReport(List<Row> rows, List<CompatibilityViolation> violations) {
        this.rows = List.copyOf(rows);
        this.violations = List.copyOf(violations);
    }

    public boolean passed() {
        return violations.isEmpty();
    }

    public List<CompatibilityViolation> violations() {
        return violations;
    }

    /** Names of the contracts that were checked. */
    public List<String> checkedSchemas() {
        return rows.stream().map(r -> r.schema).collect(java.util.stream.Collectors.toList());
    }

    /** A readable table of every contract, then every violation with its field and rule. */
    public String format() {
        StringBuilder out = new StringBuilder("Schema compatibility gate\n");
        int width = rows.stream().mapToInt(r -> r.schema.length()).max().orElse(10);
        String rowFormat = "  %-" + width + "s  %-19s  %-12s  %s%n";
        out.append(String.format(rowFormat, "contract", "mode", "released", "result"));
        for (Row row : rows) {
            out.append(
                    String.format(
                            rowFormat,
                            row.schema,
                            row.mode,
                            row.released.isEmpty() ? "(none yet)" : row.released,
                            row.violations == 0 ? "ok" : row.violations + " violation(s)"));
        }
        for (CompatibilityViolation violation : violations) {
            out.append("  VIOLATION ")
                    .append(violation.schema())
                    .append(" field '")
                    .append(violation.field())
                    .append("' [")
                    .append(violation.rule())
                    .append("]: ")
                    .append(violation.message())
                    .append('\n');
        }
        return out.toString();
    }

    static final class Row {
        final String schema;
        final CompatibilityMode mode;
        final String released;
        final int violations;

        Row(String schema, CompatibilityMode mode, String released, int violations) {
            this.schema = schema;
            this.mode = mode;
            this.released = released;
            this.violations = violations;
        }
    }
}
