package io.pipelinekit.core.config;

import io.pipelinekit.core.config.internal.OptionCatalog;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;

/**
 * Renders {@code *Options} classes as a Markdown reference (key, type, default, environment
 * variable, description); {@code docs/options.md} is generated with it and a test keeps it in sync
 * with the code.
 */
@PublicEvolving
public final class OptionsReference {

    private OptionsReference() {}

    public static String markdown(Class<?>... optionClasses) {
        StringBuilder out = new StringBuilder();
        out.append("# Options reference\n\n")
                .append(
                        "Generated from the `*Options` classes by `OptionsReference`; do not edit"
                                + " by hand.\n")
                .append(
                        "Regenerate with `./mvnw -pl pipeline-core test"
                                + " -Dtest=OptionsReferenceTest")
                .append(" -Dpipelinekit.update-docs=true`.\n\n")
                .append("Values come from (lowest to highest precedence) the defaults below, the")
                .append(" `--config` file (`.properties` or YAML), environment variables and")
                .append(
                        " `--<key> <value>` arguments. Secrets are refused on the command line;"
                                + " their")
                .append(" value may be `file:/path/to/secret`.\n");
        for (Class<?> optionClass : optionClasses) {
            out.append("\n## ").append(optionClass.getSimpleName()).append("\n\n");
            out.append("| key | type | default | environment variable | description |\n");
            out.append("|---|---|---|---|---|\n");
            for (ConfigOption<?> option : OptionCatalog.optionsOf(optionClass)) {
                out.append("| `")
                        .append(option.key())
                        .append("`")
                        .append(PipelineConfig.isSecret(option.key()) ? " (secret)" : "")
                        .append(" | ")
                        .append(OptionCatalog.describeType(option))
                        .append(" | ")
                        .append(option.hasDefaultValue() ? "`" + option.defaultValue() + "`" : "")
                        .append(" | `")
                        .append(PipelineConfig.environmentVariable(option.key()))
                        .append("`")
                        .append(" | ")
                        .append(OptionCatalog.describeText(option).replace("|", "\\|"))
                        .append(" |\n");
            }
        }
        return out.toString();
    }
}
