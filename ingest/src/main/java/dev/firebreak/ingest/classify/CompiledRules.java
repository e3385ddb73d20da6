package dev.firebreak.ingest.classify;

import java.util.List;
import java.util.Map;

/**
 * A validated, compiled rules file: immutable, so one instance serves every thread.
 *
 * @param source    where it was loaded from, for messages
 * @param tools     tool name to kind
 * @param syntax    the shell section
 * @param sqlRules  kind sql, in file order
 * @param shellRules kind shell, in file order
 * @param httpRules kind http, in file order
 * @param ruleOrder rule id to its position in the file
 */
record CompiledRules(String source, ToolMap tools, ShellSyntax syntax, List<SqlRule> sqlRules,
                     List<ShellRule> shellRules, List<HttpRule> httpRules, Map<String, Integer> ruleOrder) {

    CompiledRules {
        sqlRules = List.copyOf(sqlRules);
        shellRules = List.copyOf(shellRules);
        httpRules = List.copyOf(httpRules);
        ruleOrder = Map.copyOf(ruleOrder);
    }
}
