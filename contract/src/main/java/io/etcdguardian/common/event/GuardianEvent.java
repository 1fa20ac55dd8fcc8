package io.etcdguardian.common.event;

/** The data of a CloudEvent on the backplane; every event belongs to exactly one cluster. */
public interface GuardianEvent {
    String clusterId();
}
