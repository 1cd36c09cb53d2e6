package io.pipelinekit.testkit.junit5;

import io.pipelinekit.testkit.ServiceBackend;
import io.pipelinekit.testkit.ServiceUnavailableException;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.Locale;
import java.util.function.Function;

/**
 * Base of the service extensions: gets the JVM-wide shared service, gives the test class its own
 * resources on it, and turns an unavailable backend into a skipped (aborted) test with the reason.
 */
abstract class SharedServiceExtension<S>
        implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

    private final ServiceBackend backend;
    private final Function<ServiceBackend, S> shared;
    private S service;
    private String unavailable;
    private boolean classResourcesCreated;
    private boolean beforeAllCalled;

    SharedServiceExtension(ServiceBackend backend, Function<ServiceBackend, S> shared) {
        this.backend = backend;
        this.shared = shared;
    }

    /** Creates what one test class owns on the service (database, bucket, ...). */
    abstract void createClassResources(S service, ExtensionContext context);

    /** Removes what {@link #createClassResources} created. */
    abstract void dropClassResources(S service);

    @Override
    public void beforeAll(ExtensionContext context) {
        beforeAllCalled = true;
        ensureStarted(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!beforeAllCalled) {
            // On an instance field JUnit never calls afterAll: the class's database or bucket
            // would never be dropped.
            throw new IllegalStateException(
                    getClass().getSimpleName()
                            + " must be registered on a static field: @RegisterExtension static"
                            + " final ...");
        }
        // Aborting here, not in beforeAll, reports every test as skipped with the reason
        // (a class-level abort shows up in Maven's reports as "0 tests run").
        abortIfUnavailable();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (service != null && classResourcesCreated) {
            classResourcesCreated = false;
            dropClassResources(service);
        }
    }

    /** The shared service; available from {@code @BeforeAll} on. */
    public S service() {
        abortIfUnavailable();
        if (service == null) {
            throw new IllegalStateException(
                    getClass().getSimpleName()
                            + " is not started: register it with @RegisterExtension on a static"
                            + " field and use it from @BeforeAll or a test");
        }
        return service;
    }

    private void abortIfUnavailable() {
        if (unavailable != null) {
            Assumptions.abort(unavailable);
        }
    }

    private void ensureStarted(ExtensionContext context) {
        if (service == null && unavailable == null) {
            try {
                service = shared.apply(backend);
            } catch (ServiceUnavailableException e) {
                unavailable = e.getMessage();
            }
        }
        if (service != null && !classResourcesCreated) {
            createClassResources(service, context);
            classResourcesCreated = true;
        }
    }

    static String prefixFor(ExtensionContext context) {
        String name =
                context.getRequiredTestClass()
                        .getSimpleName()
                        .replaceAll("[^A-Za-z0-9]", "")
                        .toLowerCase(Locale.ROOT);
        // Bucket names are at most 63 characters; a unique suffix follows the prefix.
        return name.substring(0, Math.min(name.length(), 40));
    }
}
