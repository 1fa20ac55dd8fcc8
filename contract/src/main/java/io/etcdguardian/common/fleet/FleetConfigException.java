package io.etcdguardian.common.fleet;

import io.etcdguardian.common.event.GuardianException;
import io.etcdguardian.common.event.Reason;
import java.util.List;
import java.util.stream.Collectors;

/** The fleet configuration is invalid; the message lists every problem, one per line. */
public class FleetConfigException extends GuardianException {
    private static final long serialVersionUID = 1L;

    private final List<FleetProblem> problems;

    public FleetConfigException(String source, List<FleetProblem> problems) {
        super(
                Reason.INVALID_CONFIG,
                "invalid fleet configuration in " + source + ":\n  "
                        + problems.stream().map(FleetProblem::toString).collect(Collectors.joining("\n  ")));
        this.problems = List.copyOf(problems);
    }

    public List<FleetProblem> problems() {
        return problems;
    }
}
