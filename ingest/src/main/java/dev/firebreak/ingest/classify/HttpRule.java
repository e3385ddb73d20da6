package dev.firebreak.ingest.classify;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * A compiled {@code kind: http} rule. Null patterns, an empty method set and a null graphql flag
 * mean "no condition".
 */
record HttpRule(RuleInfo info, Set<String> methods, Pattern url, Pattern path, Pattern body, Boolean graphql,
                Pattern graphqlMutation) {

    /**
     * A call as rules see it.
     *
     * @param method  upper-case method (inferred when the caller did not give one)
     * @param url     full URL, never null
     * @param path    path part of the URL, never null
     * @param body    request body, never null
     * @param graphql the GraphQL in the body
     */
    record Facts(String method, String url, String path, String body, GraphQl graphql) {
    }

    boolean matches(Facts f) {
        return (methods.isEmpty() || methods.contains(f.method()))
                && (url == null || url.matcher(f.url()).find())
                && (path == null || path.matcher(f.path()).find())
                && (body == null || body.matcher(f.body()).find())
                && (graphql == null || graphql == f.graphql().present())
                && (graphqlMutation == null || f.graphql().mutationFields().stream()
                        .anyMatch(field -> graphqlMutation.matcher(field).find()));
    }

    /** The mutation fields this rule matched, for the reason. */
    String matchedFields(Facts f) {
        return graphqlMutation == null ? "" : String.join(", ", f.graphql().mutationFields().stream()
                .filter(field -> graphqlMutation.matcher(field).find()).toList());
    }
}
