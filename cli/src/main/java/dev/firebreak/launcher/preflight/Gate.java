package dev.firebreak.launcher.preflight;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;

/**
 * One pre-flight check as a client integration runs it: ask, wait for an operator while the answer
 * is {@code ask} (within the deadline), and apply the fail mode of the target environment when
 * Firebreak cannot be reached. Everything for the user goes to {@code err}.
 */
public final class Gate {
    private final PreflightClient client;
    private final FailModes failModes;
    private final Duration askTimeout;
    private final PrintStream err;

    public Gate(PreflightClient client, FailModes failModes, Duration askTimeout, PrintStream err) {
        this.client = client;
        this.failModes = failModes;
        this.askTimeout = askTimeout;
        this.err = err;
    }

    /**
     * The verdict for the client.
     *
     * @param allowed whether the action may run
     * @param message why, for the agent (stderr); empty when allowed without remark
     */
    public record Result(boolean allowed, String message) {
    }

    /** Asks about {@code record} (its {@code target_environment}, if any, selects the fail mode). */
    public Result check(ObjectNode record) throws InterruptedException {
        String environment = record.path("target_environment").asText(null);
        try {
            PreflightClient.Answer answer = client.decide(record);
            return switch (String.valueOf(answer.decision())) {
                case "allow" -> new Result(true, "");
                case "ask" -> awaitApproval(answer);
                default -> new Result(false, "firebreak: denied by rule " + answer.rule() + ": " + answer.reason()
                        + " (decision " + answer.decisionId() + ")");
            };
        } catch (PreflightClient.Refused e) {
            // The endpoint refused the request itself: fixing the client is the way out, not running blind.
            return new Result(false, "firebreak: the decision endpoint refused the request: " + e.getMessage());
        } catch (IOException e) {
            return unreachable(environment, e);
        }
    }

    private Result awaitApproval(PreflightClient.Answer ask) throws InterruptedException {
        err.printf("firebreak: waiting up to %ds for an operator: %s (rule %s). Approve with: firebreak approve %s"
                + " --operator <name> --reason <why>%n", askTimeout.toSeconds(), ask.reason(), ask.rule(), ask.decisionId());
        try {
            PreflightClient.Answer answer = client.await(ask.decisionId(), Instant.now().plus(askTimeout));
            if ("approved".equals(answer.status())) {
                return new Result(true, "firebreak: approved (decision " + ask.decisionId() + ")");
            }
            String status = "pending".equals(answer.status()) ? "not approved within " + askTimeout.toSeconds() + "s"
                    : String.valueOf(answer.status());
            return new Result(false, "firebreak: " + status + ": " + ask.reason() + " (decision " + ask.decisionId() + ")");
        } catch (PreflightClient.Refused | IOException e) {
            // Waiting for a human is never a reason to let a held action through.
            return new Result(false, "firebreak: could not learn the operator's answer (" + e.getMessage()
                    + "); not approved (decision " + ask.decisionId() + ")");
        }
    }

    private Result unreachable(String environment, IOException e) {
        boolean open = failModes.openFor(environment);
        String what = e instanceof HttpTimeoutException ? "did not answer in time" : "is unreachable (" + e.getMessage() + ")";
        String env = environment == null ? "an unnamed environment" : "environment " + environment;
        return open ? new Result(true, "firebreak: WARNING: Firebreak " + what + "; failing open for " + env)
                : new Result(false, "firebreak: Firebreak " + what + "; failing closed for " + env);
    }
}
