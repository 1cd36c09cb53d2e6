package io.pipelinekit.testkit.internal.containers;

import io.pipelinekit.testkit.postgres.PostgresService;

import org.testcontainers.containers.PostgreSQLContainer;

/** PostgreSQL in a Docker container with logical decoding, same contract as the embedded one. */
final class ContainerPostgresService implements PostgresService {

    static final String IMAGE = "postgres:17";

    private final PostgreSQLContainer<?> container;

    private ContainerPostgresService(PostgreSQLContainer<?> container) {
        this.container = container;
    }

    static ContainerPostgresService start() {
        PostgreSQLContainer<?> container =
                new PostgreSQLContainer<>(IMAGE)
                        .withUsername("postgres")
                        .withPassword("postgres")
                        .withCommand(
                                "postgres",
                                "-c",
                                "wal_level=logical",
                                "-c",
                                "max_replication_slots=20",
                                "-c",
                                "max_wal_senders=20",
                                "-c",
                                "max_connections=300");
        container.start();
        return new ContainerPostgresService(container);
    }

    @Override
    public String host() {
        return container.getHost();
    }

    @Override
    public int port() {
        return container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT);
    }

    @Override
    public String username() {
        return container.getUsername();
    }

    @Override
    public String password() {
        return container.getPassword();
    }

    @Override
    public void close() {
        container.stop();
    }
}
