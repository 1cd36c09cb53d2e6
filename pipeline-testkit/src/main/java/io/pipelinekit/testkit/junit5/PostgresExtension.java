package io.pipelinekit.testkit.junit5;

import io.pipelinekit.testkit.ServiceBackend;
import io.pipelinekit.testkit.TestServices;
import io.pipelinekit.testkit.postgres.PostgresDatabase;
import io.pipelinekit.testkit.postgres.PostgresService;

import org.apache.flink.annotation.PublicEvolving;

import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives a test class a fresh database on the JVM-wide shared PostgreSQL server ({@code
 * wal_level=logical}), dropped with its replication slots after the class.
 *
 * <pre>{@code
 * @RegisterExtension static final PostgresExtension POSTGRES = new PostgresExtension();
 *
 * @Test void stock() {
 *     POSTGRES.database().execute("CREATE TABLE stock (id INT PRIMARY KEY, quantity INT)");
 * }
 * }</pre>
 */
@PublicEvolving
public final class PostgresExtension extends SharedServiceExtension<PostgresService> {

    private PostgresDatabase database;

    /** Uses the backend selected by {@code -Dpipelinekit.services} (embedded by default). */
    public PostgresExtension() {
        this(ServiceBackend.selected());
    }

    public PostgresExtension(ServiceBackend backend) {
        super(backend, TestServices::postgres);
    }

    /** This test class's own database. */
    public PostgresDatabase database() {
        if (database == null) {
            throw new IllegalStateException("PostgresExtension not started yet");
        }
        return database;
    }

    @Override
    void createClassResources(PostgresService service, ExtensionContext context) {
        database = service.createDatabase(prefixFor(context));
    }

    @Override
    void dropClassResources(PostgresService service) {
        database.drop();
        database = null;
    }
}
