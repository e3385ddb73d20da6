package dev.firebreak.launcher.bench;

/**
 * One throughput run: what the clients sent and what arrived on the events topic.
 *
 * @param name    short name for the report
 * @param what    the load, for the report
 * @param planned operations (statements or records) planned
 * @param clients what the clients did
 * @param flow    the matching events consumed
 */
record ThroughputResult(String name, String what, long planned, ParallelClients.Run clients, FlowCounter.Flow flow) {

    double clientPerSecond() {
        return clients.seconds() <= 0 ? 0 : clients.completed() / clients.seconds();
    }

    /** From the clients' start to the last event consumed. */
    double totalSeconds() {
        return flow.events() == 0 ? 0 : (flow.lastNanos() - clients.startNanos()) / 1e9;
    }

    /** Whether every planned operation was sent and produced its event. */
    boolean complete() {
        return clients.completed() == planned && flow.events() == planned && clients.firstError() == null;
    }
}
