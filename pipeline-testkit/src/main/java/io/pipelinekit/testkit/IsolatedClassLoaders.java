package io.pipelinekit.testkit;

import io.pipelinekit.testkit.internal.process.MavenArtifacts;

import org.apache.flink.annotation.PublicEvolving;

import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Class loaders over Maven artifacts that never touch the test classpath: for driving a tool or
 * client whose dependencies would clash with the job's (e.g. Confluent's registry client).
 *
 * <pre>{@code
 * try (URLClassLoader confluent = IsolatedClassLoaders.forArtifacts(
 *         "org.apache.flink:flink-sql-avro-confluent-registry:1.20.0", "org.slf4j:slf4j-api:1.7.36")) {
 *     Class<?> client = confluent.loadClass("...CachedSchemaRegistryClient");
 * }
 * }</pre>
 */
@PublicEvolving
public final class IsolatedClassLoaders {

    private IsolatedClassLoaders() {}

    /**
     * A class loader over the artifacts and their runtime dependencies, resolved like the test
     * kit's servers; its parent is the platform class loader, so only JDK classes are shared.
     */
    public static URLClassLoader forArtifacts(String... coordinates) {
        List<Path> jars = MavenArtifacts.resolveClasspath(List.of(coordinates), List.of());
        List<URL> urls = new ArrayList<>();
        for (Path jar : jars) {
            try {
                urls.add(jar.toUri().toURL());
            } catch (MalformedURLException e) {
                throw new IllegalStateException("Bad jar path " + jar, e);
            }
        }
        return new URLClassLoader(
                "isolated-" + String.join(",", coordinates),
                urls.toArray(new URL[0]),
                ClassLoader.getPlatformClassLoader());
    }

    /** Coordinates the test kit pins, e.g. {@code "confluent.registry.client"}. */
    public static String pinnedArtifact(String key) {
        return MavenArtifacts.serviceCoordinates(key);
    }
}
