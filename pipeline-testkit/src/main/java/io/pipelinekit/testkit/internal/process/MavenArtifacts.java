package io.pipelinekit.testkit.internal.process;

import org.apache.flink.annotation.Internal;

import org.apache.maven.repository.internal.MavenRepositorySystemUtils;
import org.eclipse.aether.DefaultRepositorySystemSession;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.collection.CollectRequest;
import org.eclipse.aether.graph.Dependency;
import org.eclipse.aether.graph.Exclusion;
import org.eclipse.aether.repository.LocalRepository;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactResult;
import org.eclipse.aether.resolution.DependencyRequest;
import org.eclipse.aether.resolution.DependencyResolutionException;
import org.eclipse.aether.supplier.RepositorySystemSupplier;
import org.eclipse.aether.util.artifact.JavaScopes;
import org.eclipse.aether.util.filter.DependencyFilterUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves the classpath of a server (Kafka broker, S3Proxy, embedded PostgreSQL) from Maven
 * repositories, into the user's local repository, without putting it on the test classpath.
 *
 * <p>The servers drag Scala, Jackson and kafka-clients versions that clash with Flink's connectors,
 * so they run in child JVMs on a classpath of their own. Resolving them at runtime works the same
 * in this repository and in a team's repository that only depends on {@code pipeline-testkit}.
 * Configuration: {@code maven.repo.local} (system property) for the local repository and {@code
 * pipelinekit.maven.repository} (system property) or {@code PIPELINEKIT_MAVEN_REPOSITORY}
 * (environment) for a mirror of Maven Central.
 */
@Internal
public final class MavenArtifacts {

    private static final Logger LOG = LoggerFactory.getLogger(MavenArtifacts.class);
    private static final String CENTRAL = "https://repo.maven.apache.org/maven2/";
    private static final Map<List<String>, List<Path>> CACHE = new ConcurrentHashMap<>();
    private static final Properties VERSIONS = loadVersions();

    private MavenArtifacts() {}

    /** The coordinates of a server, as filtered into {@code service-versions.properties}. */
    public static String serviceCoordinates(String key) {
        String value = VERSIONS.getProperty(key);
        if (value == null) {
            throw new IllegalStateException(
                    "No '" + key + "' in META-INF/pipelinekit/service-versions.properties");
        }
        return value;
    }

    /**
     * Resolves the runtime classpath of the given root artifacts ({@code group:artifact[:ext[:
     * classifier]]:version}), excluding the given {@code group:artifact} patterns from their
     * transitive dependencies.
     */
    public static List<Path> resolveClasspath(List<String> roots, List<String> exclusions) {
        List<String> key = new ArrayList<>(roots);
        key.addAll(exclusions);
        return CACHE.computeIfAbsent(key, unused -> doResolve(roots, exclusions));
    }

    private static List<Path> doResolve(List<String> roots, List<String> exclusions) {
        long start = System.nanoTime();
        RepositorySystem system = new RepositorySystemSupplier().get();
        try {
            DefaultRepositorySystemSession session = MavenRepositorySystemUtils.newSession();
            session.setSystemProperties(System.getProperties());
            LocalRepository local = new LocalRepository(localRepository().toFile());
            session.setLocalRepositoryManager(system.newLocalRepositoryManager(session, local));

            RemoteRepository central =
                    new RemoteRepository.Builder("central", "default", remoteRepository()).build();
            List<Exclusion> excluded = new ArrayList<>();
            for (String exclusion : exclusions) {
                String[] parts = exclusion.split(":");
                excluded.add(new Exclusion(parts[0], parts[1], "*", "*"));
            }
            CollectRequest collect = new CollectRequest();
            for (String root : roots) {
                collect.addDependency(
                        new Dependency(
                                new DefaultArtifact(root), JavaScopes.RUNTIME, false, excluded));
            }
            collect.addRepository(central);
            LOG.info(
                    "Resolving {} from {} into {} (the first run downloads it)",
                    roots,
                    central.getUrl(),
                    local.getBasedir());
            DependencyRequest request =
                    new DependencyRequest(
                            collect, DependencyFilterUtils.classpathFilter(JavaScopes.RUNTIME));
            List<Path> classpath = new ArrayList<>();
            for (ArtifactResult result :
                    system.resolveDependencies(session, request).getArtifactResults()) {
                classpath.add(result.getArtifact().getFile().toPath());
            }
            LOG.info(
                    "Resolved {} jars for {} in {} ms",
                    classpath.size(),
                    roots,
                    (System.nanoTime() - start) / 1_000_000);
            return List.copyOf(classpath);
        } catch (DependencyResolutionException e) {
            throw new IllegalStateException(
                    "Cannot resolve "
                            + roots
                            + " from "
                            + remoteRepository()
                            + ". The test kit runs these servers from Maven artifacts: make Maven"
                            + " Central reachable, or point -Dpipelinekit.maven.repository at a"
                            + " mirror, or resolve them once while online.",
                    e);
        } finally {
            system.shutdown();
        }
    }

    static Path localRepository() {
        String configured = System.getProperty("maven.repo.local");
        if (configured != null && !configured.isBlank()) {
            return Paths.get(configured).toAbsolutePath();
        }
        return Paths.get(System.getProperty("user.home"), ".m2", "repository");
    }

    static String remoteRepository() {
        String configured = System.getProperty("pipelinekit.maven.repository");
        if (configured == null || configured.isBlank()) {
            configured = System.getenv("PIPELINEKIT_MAVEN_REPOSITORY");
        }
        return configured == null || configured.isBlank() ? CENTRAL : configured;
    }

    private static Properties loadVersions() {
        Properties properties = new Properties();
        try (InputStream in =
                MavenArtifacts.class.getResourceAsStream(
                        "/META-INF/pipelinekit/service-versions.properties")) {
            if (in == null) {
                throw new IllegalStateException(
                        "pipeline-testkit is incomplete:"
                                + " META-INF/pipelinekit/service-versions.properties is missing");
            }
            properties.load(in);
            return properties;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
