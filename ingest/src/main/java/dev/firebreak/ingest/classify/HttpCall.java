package dev.firebreak.ingest.classify;

/**
 * An HTTP call as the http rules see it.
 *
 * @param method upper-case method, or null when unknown (then inferred from the body)
 * @param url    the URL, possibly without scheme
 * @param body   the request body, or null
 */
record HttpCall(String method, String url, String body) {
}
