package dev.firebreak.ingest.pglog;

import dev.firebreak.schema.Micros;

import dev.firebreak.ingest.kafka.AuditSink;
import dev.firebreak.ingest.metrics.CaptureSource;
import dev.firebreak.ingest.metrics.DeadLetterReason;
import dev.firebreak.ingest.metrics.IngestMetrics;
import dev.firebreak.ingest.postgres.MalformedMessageException;
import dev.firebreak.schema.AuditEvent;
import dev.firebreak.schema.DeadLetter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Second capture path: follows PostgreSQL's {@code jsonlog} file for the commands event triggers
 * never see ({@code DROP DATABASE}, roles, tablespaces). Reads whole lines only, produces their
 * events, and moves its read position on only after Kafka acknowledged them.
 */
public final class ServerLogCapture implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerLogCapture.class);
    private static final String SOURCE_NAME = "postgres-server-log";
    // A statement longer than this is not read as a line: it goes to the DLQ, so one huge statement cannot stall the path.
    static final int MAX_LINE_BYTES = 4 << 20;
    private static final int DEAD_LETTER_HEAD_BYTES = 4096;

    private final ServerLogConfig config;
    private final AuditSink sink;
    private final ServerLogNormalizer normalizer;
    private final IngestMetrics metrics;
    private final Thread thread;
    private volatile boolean running = true;
    private Path file;
    private long position;
    private FileTime logListModified;

    /**
     * @param sink the ingest stage's producer, shared with the database capture that owns it: one
     *             producer, one durability check and one set of registry metrics per stage. Not closed here.
     */
    public ServerLogCapture(ServerLogConfig config, AuditSink sink, MeterRegistry meters) {
        this.config = config;
        this.sink = sink;
        this.normalizer = new ServerLogNormalizer(config.cluster(), config.statementMaxChars());
        this.metrics = new IngestMetrics(meters, CaptureSource.PGLOG);
        this.thread = new Thread(this::loop, "firebreak-pglog-" + config.cluster());
    }

    /** Finds the current log, restores or initialises the position, and starts following. */
    public ServerLogCapture start() {
        file = currentLogFile().orElseThrow(() -> new IllegalStateException("no jsonlog file listed in "
                + config.dataDirectory().resolve("current_logfiles") + ": the server needs logging_collector=on, "
                + "log_destination including jsonlog, and log_statement='ddl' ('all' to see DO blocks)"));
        position = restoredPosition(file).orElseGet(() -> size(file));
        LOG.info("following {} from byte {}", file, position);
        thread.start();
        return this;
    }

    private void loop() {
        try (ChangeNotices notices = ChangeNotices.open()) {
            // current_logfiles changes on rotation, the log's directory on every line written
            notices.watch(config.dataDirectory());
            while (running) {
                try {
                    notices.watch(file.toAbsolutePath().getParent());
                    if (!poll()) {
                        notices.await(config.pollInterval());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (RuntimeException | IOException e) {
                    LOG.error("server log capture failed reading {}; retrying", file, e);
                    sleepQuietly(1000);
                }
            }
        }
    }

    /** Reads what is new; true when something was read. Follows a rotation after the old file is done. */
    boolean poll() throws IOException, InterruptedException {
        long size = size(file);
        if (size > position) {
            readFrom(size);
            return true;
        }
        if (!logListChanged()) {
            return false;
        }
        Optional<Path> current = currentLogFile();
        if (current.isPresent() && !current.get().equals(file)) {
            LOG.info("log rotated from {} to {}", file, current.get());
            file = current.get();
            position = 0;
            return true;
        }
        return false;
    }

    private void readFrom(long size) throws IOException, InterruptedException {
        byte[] chunk;
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            in.seek(position);
            chunk = new byte[(int) Math.min(size - position, MAX_LINE_BYTES)];
            in.readFully(chunk);
        }
        int end = lastNewline(chunk);
        if (end < 0 && chunk.length == MAX_LINE_BYTES) {
            skipOversizedLine(chunk, size);
            return;
        }
        if (end < 0) {
            return; // a line is still being written
        }
        String text = new String(chunk, 0, end + 1, StandardCharsets.UTF_8);
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        List<AuditEvent> sent = new ArrayList<>();
        long lineStart = position;
        for (String line : text.split("\n")) {
            route(line, lineStart, acks, sent);
            lineStart += line.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        awaitAcks(acks);
        metrics.acknowledged(sent, Micros.now());
        position += end + 1;
        persistPosition();
    }

    /** Dead-letters the line at {@code position}, longer than {@link #MAX_LINE_BYTES}, once it is complete. */
    private void skipOversizedLine(byte[] head, long size) throws IOException, InterruptedException {
        long newline = nextNewline(position + head.length, size);
        if (newline < 0) {
            return; // still being written
        }
        metrics.deadLetter(DeadLetterReason.OVERSIZED);
        LOG.warn("log line at {}:{} is {} bytes, over {}; sent to the DLQ unread", file.getFileName(), position,
                newline - position, MAX_LINE_BYTES);
        String start = new String(head, 0, DEAD_LETTER_HEAD_BYTES, StandardCharsets.UTF_8);
        awaitAcks(List.of(sink.sendDeadLetter(SOURCE_NAME, deadLetter(
                "log line of " + (newline - position) + " bytes, over " + MAX_LINE_BYTES + "; not read", position, start))));
        position = newline + 1;
        persistPosition();
    }

    private long nextNewline(long from, long size) throws IOException {
        byte[] block = new byte[64 << 10];
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            for (long at = from; at < size; at += block.length) {
                int n = (int) Math.min(block.length, size - at);
                in.seek(at);
                in.readFully(block, 0, n);
                for (int i = 0; i < n; i++) {
                    if (block[i] == '\n') {
                        return at + i;
                    }
                }
            }
        }
        return -1;
    }

    private DeadLetter deadLetter(String reason, long offset, String line) {
        return DeadLetter.newBuilder()
                .setSource(SOURCE_NAME)
                .setReason(reason)
                .setOrigin(file + "@" + offset)
                .setPayload(ByteBuffer.wrap(ServerLogNormalizer.redactedLine(line).getBytes(StandardCharsets.UTF_8)))
                .setCapturedTimeUs(Micros.now())
                .build();
    }

    private void route(String line, long offset, List<Future<RecordMetadata>> acks, List<AuditEvent> sent) {
        if (line.isBlank()) {
            return;
        }
        try {
            for (AuditEvent event : normalizer.normalize(line, Micros.now())) {
                acks.add(sink.send(event));
                sent.add(event);
            }
        } catch (MalformedMessageException e) {
            metrics.deadLetter(e.code());
            LOG.warn("log line at {}:{} sent to the DLQ: {}", file.getFileName(), offset, e.getMessage());
            acks.add(sink.sendDeadLetter(SOURCE_NAME, deadLetter(e.getMessage(), offset, line)));
        }
    }

    private static void awaitAcks(List<Future<RecordMetadata>> acks) throws InterruptedException {
        for (Future<RecordMetadata> ack : acks) {
            try {
                ack.get();
            } catch (ExecutionException e) {
                // position not advanced: the same lines are read again on the next poll
                throw new IllegalStateException("Kafka did not acknowledge a server-log event", e.getCause());
            }
        }
    }

    /**
     * True when PostgreSQL rewrote {@code current_logfiles} since the last look: it does on every
     * rotation. One stat per idle poll instead of reading the file every few milliseconds.
     */
    private boolean logListChanged() {
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(config.dataDirectory().resolve("current_logfiles"));
        } catch (IOException e) {
            return true;
        }
        if (modified.equals(logListModified)) {
            return false;
        }
        logListModified = modified;
        return true;
    }

    private Optional<Path> currentLogFile() {
        Path list = config.dataDirectory().resolve("current_logfiles");
        try {
            for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
                if (line.startsWith("jsonlog ")) {
                    Path path = Path.of(line.substring("jsonlog ".length()).strip());
                    return Optional.of(path.isAbsolute() ? path : config.dataDirectory().resolve(path));
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private Optional<Long> restoredPosition(Path current) {
        if (config.positionFile() == null || !Files.exists(config.positionFile())) {
            return Optional.empty();
        }
        try {
            String[] saved = Files.readString(config.positionFile(), StandardCharsets.UTF_8).strip().split("\t");
            if (saved.length == 2 && Path.of(saved[0]).equals(current)) {
                return Optional.of(Long.parseLong(saved[1]));
            }
            LOG.warn("saved position {} is for another log file; starting at the end of {}", config.positionFile(), current);
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("unreadable position file " + config.positionFile() + ": " + e.getMessage(), e);
        }
    }

    private void persistPosition() throws IOException {
        if (config.positionFile() != null) {
            Path tmp = config.positionFile().resolveSibling(config.positionFile().getFileName() + ".tmp");
            Files.writeString(tmp, file + "\t" + position, StandardCharsets.UTF_8);
            Files.move(tmp, config.positionFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private static long size(Path path) {
        try {
            return Files.size(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of " + path, e);
        }
    }

    private static int lastNewline(byte[] chunk) {
        for (int i = chunk.length - 1; i >= 0; i--) {
            if (chunk[i] == '\n') {
                return i;
            }
        }
        return -1;
    }


    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
