package dev.firebreak.ingest.agent;

import com.sun.net.httpserver.HttpExchange;
import dev.firebreak.ingest.agent.AgentActionEndpoint.Rejection;
import java.io.IOException;
import java.io.InputStream;

/** Reads request bodies without ever holding more than the limit in memory. */
final class RequestBodies {
    private RequestBodies() {
    }

    /**
     * The body, at most {@code maxBytes} long. A declared {@code Content-Length} over the limit is
     * refused before reading; a chunked body is read up to one byte past the limit and refused then.
     * The JDK server drains only a bounded remainder of an unread body and then drops the connection.
     */
    static byte[] read(HttpExchange exchange, int maxBytes) throws IOException, Rejection {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            long length;
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                throw new Rejection(400, "bad_content_length", "Content-Length is not a number");
            }
            if (length > maxBytes) {
                throw tooLarge(maxBytes, length + " bytes");
            }
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(maxBytes + 1);
            if (body.length > maxBytes) {
                throw tooLarge(maxBytes, "more");
            }
            return body;
        }
    }

    private static Rejection tooLarge(int maxBytes, String size) {
        return new Rejection(413, "too_large", "the body has " + size + ", more than the limit of " + maxBytes + " bytes");
    }
}
