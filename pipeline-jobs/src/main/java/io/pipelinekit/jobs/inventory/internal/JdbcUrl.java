package io.pipelinekit.jobs.inventory.internal;

import org.apache.flink.annotation.Internal;

import java.net.URI;

/** Host, port and database of a {@code jdbc:postgresql://host:port/database} URL. */
@Internal
public final class JdbcUrl {
    public final String host;
    public final int port;
    public final String database;
    private final String url;

    private JdbcUrl(String url, String host, int port, String database) {
        this.url = url;
        this.host = host;
        this.port = port;
        this.database = database;
    }

    public static JdbcUrl parse(String url) {
        if (!url.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException(
                    "Not a PostgreSQL JDBC URL: "
                            + url
                            + " (jdbc:postgresql://host:port/database)");
        }
        URI uri = URI.create(url.substring("jdbc:".length()));
        String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        if (uri.getHost() == null || path.isEmpty()) {
            throw new IllegalArgumentException(
                    "JDBC URL "
                            + url
                            + " needs a host and a database: jdbc:postgresql://host:port/database");
        }
        return new JdbcUrl(url, uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), path);
    }

    @Override
    public String toString() {
        return url;
    }
}
