package io.etcdguardian.scheduler.schedule;

import io.etcdguardian.scheduler.config.SchedulerSettings;
import io.etcdguardian.scheduler.leader.LeaderElection;
import io.micronaut.configuration.kafka.config.DefaultKafkaConsumerConfiguration;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;

/** The scheduler's leader election: a new leader reads what the previous one did before acting on it. */
@Factory
class LeaderElectionFactory {

    @Context
    @Bean(preDestroy = "stop")
    LeaderElection leaderElection(
            DefaultKafkaConsumerConfiguration<?, ?> config, ScheduleState state, SchedulerSettings settings) {
        return new LeaderElection(
                config.getConfig(), state::reload, settings.leaderGroup(), settings.leaderSessionTimeout());
    }
}
