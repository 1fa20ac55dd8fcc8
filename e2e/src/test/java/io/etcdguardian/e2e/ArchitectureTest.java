package io.etcdguardian.e2e;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What checkstyle's import-control (.checkstyle/) cannot say, over the production classes of every
 * module as this build compiled them: no package depends on itself through others, and the
 * contract carries no client of etcd, S3, Kubernetes or Tink (the enforcer says the same of its jars).
 */
class ArchitectureTest {
    private static final List<String> MODULES = List.of(
            "contract",
            "common",
            "local-etcd",
            "backplane",
            "snapshot-service",
            "scheduler-service",
            "health-service",
            "restore-service",
            "cli",
            "cli-local");
    private static JavaClasses classes;

    @BeforeAll
    static void importEveryModule() {
        List<Path> dirs =
                MODULES.stream().map(m -> Path.of("..", m, "target", "classes")).toList();
        assertThat(dirs).as("built by this reactor before e2e").allMatch(Files::isDirectory);
        classes = new ClassFileImporter().importPaths(dirs);
        assertThat(classes.stream().map(c -> c.getPackageName()).distinct().count())
                .as("packages imported")
                .isGreaterThan(40);
    }

    @Test
    void noPackageCycles() {
        slices().matching("io.etcdguardian.(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theContractCarriesNoClientOfEtcdS3KubernetesOrTink() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "io.etcdguardian.common.event..",
                        "io.etcdguardian.common.fleet..",
                        "io.etcdguardian.common.kafka..",
                        "io.etcdguardian.common.security..",
                        "io.etcdguardian.common.digest..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.etcd.jetcd..", "software.amazon..", "io.fabric8..", "com.google.crypto.tink..")
                .check(classes);
    }

    @Test
    void noServiceAndNotGuardianctlReachesTheHarness() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "io.etcdguardian.snapshot..",
                        "io.etcdguardian.scheduler..",
                        "io.etcdguardian.health..",
                        "io.etcdguardian.restore..",
                        "io.etcdguardian.common..",
                        "io.etcdguardian.cli")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.etcdguardian.backplane..", "org.junit..")
                .check(classes);
    }
}
