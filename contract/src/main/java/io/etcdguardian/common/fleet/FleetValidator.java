package io.etcdguardian.common.fleet;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Checks one cluster's spec: every problem names the key and the reason; values that are secrets are never quoted. */
public final class FleetValidator {
    private static final Pattern CLUSTER_ID = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?");
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final CronParser CRON = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private FleetValidator() {}

    /**
     * Clusters of one storage domain count their defrags and restores in one place, their shared store
     * (endpoint, bucket, prefix): a domain whose clusters name different stores could not enforce its
     * limits, so every cluster that differs from the domain's first is a problem.
     */
    public static List<FleetProblem> validateDomains(java.util.Collection<ClusterSpec> clusters) {
        List<FleetProblem> problems = new ArrayList<>();
        java.util.Map<String, ClusterSpec> first = new java.util.HashMap<>();
        for (ClusterSpec spec : clusters) {
            if (spec.storageDomain() == null || spec.store() == null) {
                continue;
            }
            ClusterSpec other = first.putIfAbsent(spec.storageDomain(), spec);
            if (other != null && !sameStore(other.store(), spec.store())) {
                problems.add(new FleetProblem(
                        spec.id(),
                        "storageDomain",
                        "clusters of storage domain '" + spec.storageDomain()
                                + "' must share one store (endpoint, bucket, prefix) where its limits are counted;"
                                + " '" + other.id() + "' uses " + where(other.store()) + ", this one "
                                + where(spec.store())));
            }
        }
        return problems;
    }

    private static boolean sameStore(StoreSpec a, StoreSpec b) {
        return java.util.Objects.equals(a.endpoint(), b.endpoint())
                && java.util.Objects.equals(a.bucket(), b.bucket())
                && a.prefixOrEmpty().equals(b.prefixOrEmpty());
    }

    private static String where(StoreSpec store) {
        return (store.endpoint() == null ? "s3" : store.endpoint()) + " bucket " + store.bucket() + " prefix '"
                + store.prefixOrEmpty() + "'";
    }

    public static List<FleetProblem> validate(ClusterSpec spec) {
        List<FleetProblem> problems = new ArrayList<>();
        String id = spec.id() == null ? "?" : spec.id();
        if (spec.id() == null || !CLUSTER_ID.matcher(spec.id()).matches()) {
            problems.add(
                    new FleetProblem(id, "id", "must be a DNS label: lowercase letters, digits and '-', at most 63"));
        }
        validateEtcd(id, spec.etcd(), problems);
        validateStore(id, spec.store(), problems);
        if (spec.schedule() != null) {
            validateSchedule(id, spec.schedule(), problems);
        }
        if (spec.retention() != null) {
            validateRetention(id, spec.retention(), problems);
        }
        if (spec.kubernetes() != null
                && spec.kubernetes().kind() != null
                && spec.kubernetes().controlPlane().isEmpty()) {
            problems.add(new FleetProblem(id, "kubernetes.kind", "must be one of " + ControlPlaneKind.spelled()));
        }
        if (spec.slo() != null
                && spec.slo().maxBackupAge() != null
                && spec.slo().maxBackupAge().compareTo(java.time.Duration.ofMinutes(5)) < 0) {
            problems.add(new FleetProblem(id, "slo.maxBackupAge", "must be at least 5m (a drill takes minutes)"));
        }
        if (spec.storageDomain() != null
                && !DOMAIN.matcher(spec.storageDomain()).matches()) {
            problems.add(new FleetProblem(
                    id, "storageDomain", "must be a DNS name: lowercase letters, digits, '-' and '.', at most 63"));
        }
        if (spec.restore() != null
                && spec.restore().apiServerReplicas() != null
                && (spec.restore().apiServerReplicas() < 1 || spec.restore().apiServerReplicas() > 100)) {
            problems.add(new FleetProblem(id, "restore.apiServerReplicas", "must be 1..100"));
        }
        if (spec.restore() != null
                && spec.restore().hostedClusterManifest() != null
                && (spec.kubernetes() == null || !spec.kubernetes().is(ControlPlaneKind.HOSTED_AWS))) {
            problems.add(new FleetProblem(
                    id,
                    "restore.hostedClusterManifest",
                    "only for kubernetes.kind hosted-aws" + " (the HostedCluster a restore creates)"));
        }
        if (spec.restore() != null) {
            java.util.Set<String> names = new java.util.HashSet<>();
            for (int i = 0; i < spec.restore().members().size(); i++) {
                RestoreSpec.Member member = spec.restore().members().get(i);
                String key = "restore.members[" + i + "]";
                // a member name goes onto a command line on the host: a DNS name, nothing a shell would read
                if (member.name() == null || !member.name().matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
                    problems.add(new FleetProblem(id, key + ".name", "must be the node's name (lowercase DNS name)"));
                } else if (!names.add(member.name())) {
                    problems.add(new FleetProblem(id, key + ".name", "'" + member.name() + "' appears twice"));
                }
                if (member.peerUrl() == null || !member.peerUrl().matches("https?://[-a-zA-Z0-9.\\[\\]:]+:\\d+")) {
                    problems.add(new FleetProblem(id, key + ".peerUrl", "must be http(s)://HOST:PORT"));
                }
            }
        }
        return problems;
    }

    private static void validateEtcd(String id, EtcdSpec etcd, List<FleetProblem> problems) {
        if (etcd == null || etcd.endpoints() == null || etcd.endpoints().isEmpty()) {
            problems.add(new FleetProblem(id, "etcd.endpoints", "at least one client URL is required"));
            return;
        }
        if (etcd.pollInterval() != null && etcd.pollInterval().compareTo(java.time.Duration.ofSeconds(1)) < 0) {
            problems.add(new FleetProblem(id, "etcd.pollInterval", "must be at least 1s"));
        }
        if (etcd.quotaBackendBytes() != null && etcd.quotaBackendBytes() <= 0) {
            problems.add(new FleetProblem(id, "etcd.quotaBackendBytes", "must be positive"));
        }
        boolean https = false;
        for (int i = 0; i < etcd.endpoints().size(); i++) {
            String endpoint = etcd.endpoints().get(i);
            String key = "etcd.endpoints[" + i + "]";
            try {
                URI uri = new URI(endpoint);
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                    problems.add(new FleetProblem(id, key, "'" + endpoint + "' must be an http:// or https:// URL"));
                } else if (uri.getHost() == null || uri.getPort() <= 0) {
                    problems.add(new FleetProblem(id, key, "'" + endpoint + "' must name a host and a port"));
                }
                https |= "https".equals(uri.getScheme());
            } catch (URISyntaxException | NullPointerException e) {
                problems.add(new FleetProblem(id, key, "'" + endpoint + "' is not a URL"));
            }
        }
        TlsSpec tls = etcd.tls();
        if (tls == null) {
            if (https) {
                problems.add(
                        new FleetProblem(id, "etcd.tls", "https endpoints need tls.ca (and cert/key for client auth)"));
            }
            return;
        }
        if ((tls.cert() == null) != (tls.key() == null)) {
            problems.add(new FleetProblem(id, "etcd.tls", "cert and key go together"));
        }
        pemFile(id, "etcd.tls.ca", tls.ca(), "CERTIFICATE", problems);
        pemFile(id, "etcd.tls.cert", tls.cert(), "CERTIFICATE", problems);
        pemFile(id, "etcd.tls.key", tls.key(), "PRIVATE KEY", problems);
    }

    private static void validateStore(String id, StoreSpec store, List<FleetProblem> problems) {
        if (store == null || store.bucket() == null || store.bucket().isBlank()) {
            problems.add(new FleetProblem(id, "store.bucket", "is required"));
            return;
        }
        if (!BUCKET.matcher(store.bucket()).matches()) {
            problems.add(
                    new FleetProblem(id, "store.bucket", "'" + store.bucket() + "' is not a valid S3 bucket name"));
        }
        if (store.endpoint() != null && store.endpoint().startsWith("file:")) {
            directory(id, "store.endpoint", store.endpoint(), problems);
        } else if (store.endpoint() != null) {
            url(id, "store.endpoint", store.endpoint(), problems);
        }
        readableFile(id, "store.credentialsFile", store.credentialsFile(), problems);
        if (store.serverSideEncryption() != null
                && !List.of("AES256", "aws:kms").contains(store.serverSideEncryption())) {
            problems.add(new FleetProblem(id, "store.serverSideEncryption", "must be AES256 or aws:kms"));
        }
        if (store.encryption() != null) {
            validateEncryption(id, "store.encryption", store.encryption(), problems);
        }
        if (store.keyStore() != null) {
            KeyStoreSpec keys = store.keyStore();
            if (keys.bucket() == null || keys.bucket().isBlank()) {
                problems.add(new FleetProblem(id, "store.keyStore.bucket", "is required"));
            } else if (keys.bucket().equals(store.bucket())
                    && store.prefixOrEmpty().equals(keys.prefix() == null ? "" : keys.prefix())) {
                problems.add(new FleetProblem(
                        id,
                        "store.keyStore",
                        "must not be the snapshots' bucket and prefix:" + " encryption keys travel separately"));
            }
            readableFile(id, "store.keyStore.credentialsFile", keys.credentialsFile(), problems);
            if (keys.endpoint() != null) {
                url(id, "store.keyStore.endpoint", keys.endpoint(), problems);
            }
            if (keys.encryption() == null) {
                problems.add(
                        new FleetProblem(
                                id,
                                "store.keyStore.encryption",
                                "is required: key bundles hold a"
                                        + " cluster's etcd encryption keys and are sealed before upload, with a key of their own"));
            } else {
                validateEncryption(id, "store.keyStore.encryption", keys.encryption(), problems);
                if (store.encryption() != null
                        && keys.encryption().keyFile() != null
                        && keys.encryption().keyFile().equals(store.encryption().keyFile())) {
                    problems.add(new FleetProblem(
                            id,
                            "store.keyStore.encryption.keyFile",
                            "must not be the snapshots'" + " key: whoever holds one must not hold both"));
                }
            }
        }
    }

    /** One key (file or secret), and each key it replaced: {@code previous[i]} names its own problems. */
    private static void validateEncryption(
            String id, String key, EncryptionSpec encryption, List<FleetProblem> problems) {
        if ((encryption.keyFile() == null) == (encryption.secret() == null)) {
            problems.add(new FleetProblem(id, key, "needs exactly one of keyFile or secret"));
        } else if (encryption.keyFile() != null) {
            readableFile(id, key + ".keyFile", encryption.keyFile(), problems);
        } else if (!encryption.secret().matches("[a-z0-9.-]+/[a-z0-9.-]+(:[-._a-zA-Z0-9]+)?")) {
            problems.add(new FleetProblem(id, key + ".secret", "must be namespace/name or namespace/name:key"));
        }
        for (int i = 0; i < encryption.previous().size(); i++) {
            EncryptionSpec older = encryption.previous().get(i);
            if (!older.previous().isEmpty()) {
                problems.add(new FleetProblem(
                        id,
                        key + ".previous[" + i + "].previous",
                        "list every older key" + " directly under " + key + ".previous"));
            }
            validateEncryption(id, key + ".previous[" + i + "]", older, problems);
        }
    }

    private static void validateSchedule(String id, ScheduleSpec schedule, List<FleetProblem> problems) {
        if (schedule.cron() != null) {
            try {
                CRON.parse(schedule.cron()).validate();
            } catch (IllegalArgumentException e) {
                problems.add(new FleetProblem(
                        id, "schedule.cron", "'" + schedule.cron() + "' is not a 5-field cron: " + e.getMessage()));
            }
        }
        if (schedule.timezone() != null) {
            try {
                ZoneId.of(schedule.timezone());
            } catch (DateTimeException e) {
                problems.add(
                        new FleetProblem(id, "schedule.timezone", "'" + schedule.timezone() + "' is not a time zone"));
            }
        }
        for (String key : new String[] {"blackouts", "preferred"}) {
            List<String> windows = key.equals("blackouts") ? schedule.blackouts() : schedule.preferred();
            if (windows == null) {
                continue;
            }
            for (int i = 0; i < windows.size(); i++) {
                try {
                    TimeWindow.parse(windows.get(i));
                } catch (IllegalArgumentException e) {
                    problems.add(new FleetProblem(id, "schedule." + key + "[" + i + "]", e.getMessage()));
                }
            }
        }
        if (schedule.jitter() != null && schedule.jitter().isNegative()) {
            problems.add(new FleetProblem(id, "schedule.jitter", "must not be negative"));
        }
    }

    private static void validateRetention(String id, RetentionSpec r, List<FleetProblem> problems) {
        if (r.keepLast() != null && r.keepLast() < 1) {
            problems.add(new FleetProblem(id, "retention.keepLast", "must be at least 1"));
        }
        nonNegative(id, "retention.hourly", r.hourly(), problems);
        nonNegative(id, "retention.daily", r.daily(), problems);
        nonNegative(id, "retention.weekly", r.weekly(), problems);
        nonNegative(id, "retention.monthly", r.monthly(), problems);
    }

    private static void nonNegative(String id, String key, Integer value, List<FleetProblem> problems) {
        if (value != null && value < 0) {
            problems.add(new FleetProblem(id, key, "must not be negative"));
        }
    }

    /** A directory store: {@code file:///absolute/dir}, created on first write. */
    private static void directory(String id, String key, String value, List<FleetProblem> problems) {
        try {
            URI uri = new URI(value);
            if (uri.getPath() == null || !uri.getPath().startsWith("/") || uri.getHost() != null) {
                problems.add(new FleetProblem(id, key, "'" + value + "' must be file:///an/absolute/directory"));
            }
        } catch (URISyntaxException e) {
            problems.add(new FleetProblem(id, key, "'" + value + "' is not a URL"));
        }
    }

    private static void url(String id, String key, String value, List<FleetProblem> problems) {
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null || uri.getHost() == null) {
                problems.add(new FleetProblem(id, key, "'" + value + "' must be an absolute URL"));
            }
        } catch (URISyntaxException e) {
            problems.add(new FleetProblem(id, key, "'" + value + "' is not a URL"));
        }
    }

    private static void readableFile(String id, String key, String path, List<FleetProblem> problems) {
        if (path != null && !Files.isReadable(Path.of(path))) {
            problems.add(new FleetProblem(id, key, "file " + path + " does not exist or is not readable"));
        }
    }

    private static void pemFile(String id, String key, String path, String kind, List<FleetProblem> problems) {
        if (path == null) {
            return;
        }
        Path file = Path.of(path);
        if (!Files.isReadable(file)) {
            problems.add(new FleetProblem(id, key, "file " + path + " does not exist or is not readable"));
            return;
        }
        try {
            String text = Files.readString(file);
            if (!text.contains("-----BEGIN ") || !text.contains(kind + "-----")) {
                problems.add(new FleetProblem(id, key, "file " + path + " is not a PEM " + kind));
            } else if (kind.equals("PRIVATE KEY") && !text.contains("-----BEGIN PRIVATE KEY-----")) {
                problems.add(new FleetProblem(
                        id,
                        key,
                        "file " + path + " must be PKCS#8 (BEGIN PRIVATE KEY);"
                                + " convert with `openssl pkcs8 -topk8 -nocrypt`"));
            }
        } catch (IOException | RuntimeException e) {
            problems.add(new FleetProblem(id, key, "file " + path + " cannot be read as text"));
        }
    }
}
