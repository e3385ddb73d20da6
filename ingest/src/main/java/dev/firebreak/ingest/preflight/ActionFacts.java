package dev.firebreak.ingest.preflight;

/**
 * What a decision knows about the action an agent asks to take: the record and the classifier's verdict.
 *
 * @param principal         {@code agent:<id>}
 * @param credential        the namespaced credential it would use, or null
 * @param tool              the tool it would call
 * @param kind              the classifier's kind, lower-case ({@code sql}, {@code shell}, {@code http}, {@code other})
 * @param destructive       the classifier's verdict
 * @param category          the classifier's category, or null
 * @param classifierRule    the classifier rule that judged it, or null
 * @param targetEnvironment where it is aimed, or null
 */
public record ActionFacts(String principal, String credential, String tool, String kind, boolean destructive,
                          String category, String classifierRule, String targetEnvironment) {
}
