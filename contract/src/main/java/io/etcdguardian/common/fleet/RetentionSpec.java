package io.etcdguardian.common.fleet;

/** How many snapshots to keep: the last N, plus the newest of each hour/day/week/month bucket. */
public record RetentionSpec(Integer keepLast, Integer hourly, Integer daily, Integer weekly, Integer monthly) {}
