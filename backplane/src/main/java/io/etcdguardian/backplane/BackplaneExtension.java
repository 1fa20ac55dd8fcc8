package io.etcdguardian.backplane;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests a real backplane (3-member etcd, Kafka, S3Proxy on free loopback ports), started once
 * per test JVM and stopped when the JVM's test plan ends. Tests isolate themselves by using their
 * own cluster ids, consumer groups and key prefixes.
 */
public final class BackplaneExtension implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Backplane.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return shared(context);
    }

    public static Backplane shared(ExtensionContext context) {
        return context.getRoot()
                .getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Running.class, k -> new Running(), Running.class)
                .backplane;
    }

    /** Closed by JUnit with the root context (a store value that is AutoCloseable): the processes stop with the run. */
    private static final class Running implements AutoCloseable {
        final Backplane backplane;
        private final Path dir;

        Running() {
            dir = Path.of("target", "backplane-" + UUID.randomUUID().toString().substring(0, 8));
            backplane = Backplane.startOrReuse(dir, Backplane.Options.defaults(), List.of());
        }

        @Override
        public void close() {
            backplane.stop();
            // the logs stay for whoever reads a failure; the objects go: the benchmarks leave gigabytes
            // per run, and a disk that fills up fails the next run in the store (S3Proxy: no space left)
            try {
                io.etcdguardian.localetcd.EtcdCluster.deleteRecursively(
                        dir.resolve("s3").resolve("data"));
            } catch (java.io.UncheckedIOException e) {
                // what is left goes with target/
            }
        }
    }
}
