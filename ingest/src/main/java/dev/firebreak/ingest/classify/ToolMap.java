package dev.firebreak.ingest.classify;

import dev.firebreak.ingest.classify.ActionClassifier.ActionKind;
import java.util.Locale;
import java.util.Map;

/**
 * Tool name to action kind, from the {@code tools:} section. Names compare case-insensitively;
 * namespaced names are also tried by their last segment, because agent frameworks prefix tool
 * names: MCP's {@code mcp__supabase__execute_sql}, OpenAI's {@code container.exec}, or
 * {@code functions/bash}. Unknown tools are {@link ActionKind#OTHER}.
 */
record ToolMap(Map<String, ActionKind> kinds) {

    ToolMap {
        kinds = Map.copyOf(kinds);
    }

    ActionKind kindOf(String tool) {
        if (tool == null || tool.isBlank()) {
            return ActionKind.OTHER;
        }
        String name = tool.strip().toLowerCase(Locale.ROOT);
        ActionKind kind = kinds.get(name);
        if (kind != null) {
            return kind;
        }
        return kinds.getOrDefault(lastSegment(name), ActionKind.OTHER);
    }

    private static String lastSegment(String name) {
        int mcp = name.lastIndexOf("__");
        int start = Math.max(mcp < 0 ? 0 : mcp + 2,
                1 + Math.max(name.lastIndexOf('.'), Math.max(name.lastIndexOf('/'), name.lastIndexOf(':'))));
        return name.substring(start);
    }
}
