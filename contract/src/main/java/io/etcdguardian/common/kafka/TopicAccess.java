package io.etcdguardian.common.kafka;

import io.etcdguardian.common.event.Topics;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * Who may read and write each topic, and use which consumer groups: the one table from which the
 * secured local broker's ACLs are made and against which the chart's Strimzi KafkaUsers and the
 * README's table are checked. A user is a service (its Kafka principal is its name) or guardianctl.
 * Nobody here writes {@code guardian.fleet.config}: run-time fleet changes are an administrator's act.
 */
public final class TopicAccess {
    public static final String SCHEDULER = "scheduler-service";
    public static final String SNAPSHOT = "snapshot-service";
    public static final String HEALTH = "health-service";
    public static final String RESTORE = "restore-service";
    public static final String CLI = "guardianctl";
    /** Every user, in the README's column order. */
    public static final List<String> USERS = List.of(SCHEDULER, SNAPSHOT, HEALTH, RESTORE, CLI);

    public enum Access {
        READ,
        WRITE
    }

    /** {@code user} may {@code access} {@code topic}. */
    public record Grant(String user, String topic, Access access) {}

    /**
     * {@code user} may use consumer group {@code group} (or every group starting with it: replicas that
     * each need their own group), {@code operation} READ to consume with it, DESCRIBE to see its members.
     */
    public record GroupGrant(String user, String group, boolean prefix, AclOperation operation) {}

    public static List<Grant> topics() {
        List<Grant> grants = new ArrayList<>();
        reads(
                grants,
                SCHEDULER,
                Topics.BACKUP_REQUESTS,
                Topics.SNAPSHOT_EVENTS,
                Topics.MAINTENANCE_REQUESTS,
                Topics.SCHEDULER_STATE,
                Topics.SCHEDULER_LEADER,
                Topics.FLEET_CONFIG);
        writes(
                grants,
                SCHEDULER,
                Topics.BACKUP_REQUESTS,
                Topics.SCHEDULER_EVENTS,
                Topics.SCHEDULER_STATE,
                Topics.DEAD_LETTER);
        // snapshot-service serves the fleet catalogue; every service that journals an operation writes its summary
        reads(grants, SNAPSHOT, Topics.BACKUP_REQUESTS, Topics.FLEET_CONFIG, Topics.OPERATIONS, Topics.CATALOG);
        writes(grants, SNAPSHOT, Topics.SNAPSHOT_EVENTS, Topics.OPERATIONS, Topics.DEAD_LETTER, Topics.CATALOG);
        // health-service asks for its snapshot-first step's snapshot and follows the answer
        reads(
                grants,
                HEALTH,
                Topics.MAINTENANCE_REQUESTS,
                Topics.FLEET_CONFIG,
                Topics.OPERATIONS,
                Topics.SNAPSHOT_EVENTS);
        writes(
                grants,
                HEALTH,
                Topics.HEALTH_EVENTS,
                Topics.MAINTENANCE_REQUESTS,
                Topics.OPERATIONS,
                Topics.DEAD_LETTER,
                Topics.BACKUP_REQUESTS,
                Topics.CATALOG);
        // restore-service likewise for the pre-restore snapshot
        reads(grants, RESTORE, Topics.RESTORE_REQUESTS, Topics.FLEET_CONFIG, Topics.OPERATIONS, Topics.SNAPSHOT_EVENTS);
        writes(
                grants,
                RESTORE,
                Topics.RESTORE_EVENTS,
                Topics.OPERATIONS,
                Topics.DEAD_LETTER,
                Topics.BACKUP_REQUESTS,
                Topics.CATALOG);
        reads(
                grants,
                CLI,
                Topics.BACKUP_REQUESTS,
                Topics.SNAPSHOT_EVENTS,
                Topics.MAINTENANCE_REQUESTS,
                Topics.HEALTH_EVENTS,
                Topics.RESTORE_REQUESTS,
                Topics.RESTORE_EVENTS,
                Topics.SCHEDULER_EVENTS,
                Topics.DEAD_LETTER);
        writes(grants, CLI, Topics.BACKUP_REQUESTS, Topics.MAINTENANCE_REQUESTS, Topics.RESTORE_REQUESTS);
        return List.copyOf(grants);
    }

    public static List<GroupGrant> groups() {
        return List.of(
                new GroupGrant(SCHEDULER, "guardian-scheduler-triggers", false, AclOperation.READ),
                new GroupGrant(SCHEDULER, "guardian-scheduler-inflight", true, AclOperation.READ),
                new GroupGrant(SCHEDULER, "guardian-scheduler-leader", false, AclOperation.READ),
                new GroupGrant(SCHEDULER, "guardian-fleet", true, AclOperation.READ),
                new GroupGrant(SNAPSHOT, SNAPSHOT, false, AclOperation.READ),
                new GroupGrant(SNAPSHOT, "guardian-fleet", true, AclOperation.READ),
                new GroupGrant(HEALTH, HEALTH, false, AclOperation.READ),
                new GroupGrant(HEALTH, "guardian-fleet", true, AclOperation.READ),
                new GroupGrant(RESTORE, RESTORE, false, AclOperation.READ),
                new GroupGrant(RESTORE, "guardian-fleet", true, AclOperation.READ),
                // guardianctl checks that a service is consuming before it publishes a request to it
                new GroupGrant(CLI, SNAPSHOT, false, AclOperation.DESCRIBE),
                new GroupGrant(CLI, HEALTH, false, AclOperation.DESCRIBE),
                new GroupGrant(CLI, RESTORE, false, AclOperation.DESCRIBE));
    }

    /** The table as Kafka ACL bindings (allow, any host): everything not listed is denied. */
    public static List<AclBinding> acls() {
        List<AclBinding> acls = new ArrayList<>();
        for (Grant grant : topics()) {
            acls.add(allow(
                    grant.user(),
                    new ResourcePattern(ResourceType.TOPIC, grant.topic(), PatternType.LITERAL),
                    grant.access() == Access.READ ? AclOperation.READ : AclOperation.WRITE));
        }
        for (GroupGrant grant : groups()) {
            acls.add(allow(
                    grant.user(),
                    new ResourcePattern(
                            ResourceType.GROUP,
                            grant.group(),
                            grant.prefix() ? PatternType.PREFIXED : PatternType.LITERAL),
                    grant.operation()));
        }
        return List.copyOf(acls);
    }

    /** The principal a user authenticates as, over SCRAM or as its certificate's CN. */
    public static String principal(String user) {
        return "User:" + user;
    }

    private static AclBinding allow(String user, ResourcePattern pattern, AclOperation operation) {
        return new AclBinding(
                pattern, new AccessControlEntry(principal(user), "*", operation, AclPermissionType.ALLOW));
    }

    private static void reads(List<Grant> grants, String user, String... topics) {
        for (String topic : topics) {
            grants.add(new Grant(user, topic, Access.READ));
        }
    }

    private static void writes(List<Grant> grants, String user, String... topics) {
        for (String topic : topics) {
            grants.add(new Grant(user, topic, Access.WRITE));
        }
    }

    private TopicAccess() {}
}
