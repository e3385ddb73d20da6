package dev.firebreak.ingest.agent;

import dev.firebreak.ingest.classify.ActionClassifier;
import java.util.Locale;

/**
 * A tiny stand-in for the rules-driven classifier: enough keywords to tell the tests' destructive
 * actions (DROP/DELETE/TRUNCATE, rm -rf, a GraphQL *Delete mutation, HTTP DELETE) from harmless ones.
 */
final class FakeActionClassifier implements ActionClassifier {
    private int calls;

    int calls() {
        return calls;
    }

    @Override
    public Verdict classifySql(String sql) {
        calls++;
        String s = sql.toLowerCase(Locale.ROOT);
        boolean destructive = s.contains("drop ") || s.contains("delete ") || s.contains("truncate ");
        return destructive ? new Verdict(ActionKind.SQL, true, "fake.sql.destructive", "sql.destructive", "drops or deletes")
                : new Verdict(ActionKind.SQL, false, null, "sql.other", null);
    }

    @Override
    public Verdict classifyShell(String commandLine) {
        calls++;
        boolean destructive = commandLine.contains("rm -rf") || commandLine.matches("(?s).*\\w+Delete\\(.*");
        return destructive ? new Verdict(ActionKind.SHELL, true, "fake.shell.destructive", "shell.destructive", "deletes")
                : new Verdict(ActionKind.SHELL, false, null, "shell.other", null);
    }

    @Override
    public Verdict classifyHttp(String method, String url, String body) {
        calls++;
        boolean destructive = method.equals("DELETE") || (body != null && body.matches("(?s).*\\w+Delete\\(.*"));
        return destructive ? new Verdict(ActionKind.HTTP, true, "fake.http.delete", "http.delete", "deletes over HTTP")
                : new Verdict(ActionKind.HTTP, false, null, "http.other", null);
    }

    @Override
    public Verdict classify(String tool, String input) {
        switch (tool.toLowerCase(Locale.ROOT)) {
            case "sql", "psql":
                return classifySql(input);
            case "bash", "sh", "shell", "curl":
                return classifyShell(input);
            default:
                calls++;
                return new Verdict(ActionKind.OTHER, false, null, null, null);
        }
    }
}
