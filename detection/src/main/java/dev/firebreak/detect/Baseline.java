package dev.firebreak.detect;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * A principal's normal rate of destructive actions, learned as it goes: an exponentially weighted
 * average of destructive events per bucket (by event time), the running bucket, and whether an
 * alert episode is open. Immutable; {@link #observe} returns the next state and what it noticed.
 *
 * @param destructiveTotal destructive events ever seen from the principal
 * @param averagePerBucket the learned normal count per bucket
 * @param bucketStartUs    start of the running bucket (event time)
 * @param bucketCount      destructive events in the running bucket
 * @param alertedBucketUs  start of the bucket already alerted on, so one spike alerts once
 */
record Baseline(long destructiveTotal, double averagePerBucket, long bucketStartUs, long bucketCount,
                long alertedBucketUs) {
    static final Baseline NEW = new Baseline(0, 0, Long.MIN_VALUE, 0, Long.MIN_VALUE);
    private static final byte VERSION = 1;
    /** Encoded size of every baseline: fixed, whatever the principal does. */
    static final int BYTES = 1 + 8 + 8 + 8 + 8 + 8;

    /** What one destructive event revealed. */
    enum Finding { NONE, FIRST_DESTRUCTIVE, ABOVE_BASELINE }

    /** The next state and its finding. */
    record Step(Baseline next, Finding finding) {
    }

    /**
     * Folds one destructive event at {@code timeUs} in. A spike is the running bucket holding more
     * than {@code factor} times the learned average and at least {@code minimum} events; buckets
     * that passed with nothing in them pull the average down, as quiet is part of normal.
     */
    Step observe(long timeUs, BaselineSettings settings) {
        long bucketUs = settings.bucket().toNanos() / 1_000;
        long start = Math.floorDiv(timeUs, bucketUs) * bucketUs;
        double average = averagePerBucket;
        long count = bucketCount;
        if (bucketStartUs == Long.MIN_VALUE) {
            count = 0;
        } else if (start > bucketStartUs) {
            average = settings.alpha() * count + (1 - settings.alpha()) * average;
            long idle = Math.min((start - bucketStartUs) / bucketUs - 1, 10_000);
            average *= Math.pow(1 - settings.alpha(), idle);
            count = 0;
        } else if (start < bucketStartUs) {
            start = bucketStartUs; // late event: counts toward the running bucket, never reopens an old one
        }
        count++;
        Finding finding = destructiveTotal == 0 ? Finding.FIRST_DESTRUCTIVE : Finding.NONE;
        long alerted = alertedBucketUs;
        if (finding == Finding.NONE && alerted != start && count >= settings.minimum()
                && count > settings.factor() * average) {
            finding = Finding.ABOVE_BASELINE;
            alerted = start;
        }
        return new Step(new Baseline(destructiveTotal + 1, average, start, count, alerted), finding);
    }

    byte[] toBytes() {
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream(BYTES); DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeLong(destructiveTotal);
            out.writeDouble(averagePerBucket);
            out.writeLong(bucketStartUs);
            out.writeLong(bucketCount);
            out.writeLong(alertedBucketUs);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Baseline fromBytes(byte[] data) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
            byte version = in.readByte();
            if (version != VERSION) {
                throw new IllegalStateException("baseline state version " + version + " unknown (expected " + VERSION + ")");
            }
            return new Baseline(in.readLong(), in.readDouble(), in.readLong(), in.readLong(), in.readLong());
        } catch (IOException e) {
            throw new IllegalStateException("baseline state is truncated", e);
        }
    }

    /**
     * How baselines learn and when they speak.
     *
     * @param bucket  width of a counting bucket (event time)
     * @param alpha   weight of the newest bucket in the average (0..1)
     * @param factor  how many times the average a bucket must exceed to be a spike
     * @param minimum   fewest events in a bucket for a spike, so a quiet principal's second DELETE is no alert
     * @param retention how long a principal's baseline is kept after its latest destructive action (by
     *                  event time); then it is deleted, and its next destructive action alerts as a first
     *                  one: a principal dormant that long which starts destroying is worth a look
     */
    record BaselineSettings(Duration bucket, double alpha, double factor, long minimum, Duration retention) {
        /** Default {@link #retention}: by then the learned average has decayed to nothing at any alpha worth using. */
        static final Duration DEFAULT_RETENTION = Duration.ofDays(30);
        static final BaselineSettings DEFAULTS = new BaselineSettings(Duration.ofMinutes(1), 0.05, 10, 20);

        /** Settings with the {@link #DEFAULT_RETENTION}. */
        BaselineSettings(Duration bucket, double alpha, double factor, long minimum) {
            this(bucket, alpha, factor, minimum, DEFAULT_RETENTION);
        }

        BaselineSettings {
            if (bucket.isNegative() || bucket.toMillis() < 1) {
                throw new IllegalArgumentException("baseline.bucket=" + bucket + " is invalid; allowed: a positive duration");
            }
            if (!(alpha > 0 && alpha <= 1)) {
                throw new IllegalArgumentException("baseline.alpha=" + alpha + " is invalid; allowed: 0 < alpha <= 1");
            }
            if (factor < 1 || minimum < 1) {
                throw new IllegalArgumentException("baseline.factor and baseline.minimum must be >= 1");
            }
            if (retention == null || retention.compareTo(bucket) < 0) {
                throw new IllegalArgumentException("baseline.retention=" + retention
                        + " is invalid; allowed: a duration of at least the bucket (" + bucket + ")");
            }
        }
    }
}
