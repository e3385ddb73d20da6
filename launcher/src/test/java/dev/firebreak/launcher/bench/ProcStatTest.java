package dev.firebreak.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The /proc stat parser and the CPU arithmetic of PostgreSQL's processes; pure, no /proc read. */
class ProcStatTest {

    /** A PostgreSQL backend's line as Linux 6.x writes it (52 fields). */
    private static final String BACKEND = "4242 (postgres) S 4100 4100 4100 0 -1 4194560 1311 0 0 0 250 37 12 3 20 0 1 0 "
            + "987654 225443840 3123 18446744073709551615 1 1 0 0 0 0 4194304 19935232 1098993 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0";

    @Test
    void readsParentCpuOfItselfAndOfItsReapedChildrenAndStart() {
        ProcStat stat = ProcStat.parse(BACKEND);

        assertThat(stat.pid()).isEqualTo(4242);
        assertThat(stat.comm()).isEqualTo("postgres");
        assertThat(stat.ppid()).isEqualTo(4100);
        assertThat(stat.utime()).isEqualTo(250);
        assertThat(stat.stime()).isEqualTo(37);
        assertThat(stat.cutime()).isEqualTo(12);
        assertThat(stat.cstime()).isEqualTo(3);
        assertThat(stat.startTime()).isEqualTo(987654);
        assertThat(stat.ownTicks()).isEqualTo(287);
        assertThat(stat.childTicks()).isEqualTo(15);
    }

    @Test
    void takesCommUpToTheLastParenthesisSoSpacesAndParenthesesInItDoNotShiftFields() {
        String line = BACKEND.replace("(postgres)", "(evil) S 1 (name)");

        ProcStat stat = ProcStat.parse(line);

        assertThat(stat.comm()).isEqualTo("evil) S 1 (name");
        assertThat(stat.ppid()).isEqualTo(4100);
        assertThat(stat.utime()).isEqualTo(250);
    }

    @Test
    void refusesWhatIsNoStatLine() {
        assertThatThrownBy(() -> ProcStat.parse("4242 postgres S 1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcStat.parse("4242 (postgres) S 4100 4100")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcStat.parse(BACKEND.replace(" 250 ", " x "))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcStat.parse("1 (a) " + "0 ".repeat(3000))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcStat.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void clockTicksComeFromGetconfOrAreTheLinuxDefault() {
        assertThat(ProcStat.parseClockTicks("100\n")).isEqualTo(100);
        assertThat(ProcStat.parseClockTicks("1000")).isEqualTo(1000);
        assertThat(ProcStat.parseClockTicks("undefined")).isEqualTo(100);
        assertThat(ProcStat.parseClockTicks("0")).isEqualTo(100);
    }

    @Test
    void tellsAReusedPidFromTheSameProcess() {
        ProcStat stat = stat(7, 1, 10, 0, 500);

        assertThat(stat.sameProcess(stat(7, 1, 90, 0, 500))).isTrue();
        assertThat(stat.sameProcess(stat(7, 1, 90, 0, 501))).isFalse();
        assertThat(stat.sameProcess(null)).isFalse();
    }

    @Test
    void splitsTheServersCpuBetweenWalsenderEndedBackendsAndTheRest() {
        int walsender = 20;
        // start: postmaster, walsender, checkpointer, a backend that ends during the run (20 ticks before it)
        PostgresCpu.Snapshot start = new PostgresCpu.Snapshot(stat(1, 0, 5, 1000, 1),
                Map.of(20, stat(20, 1, 300, 0, 10), 21, stat(21, 1, 40, 0, 11), 22, stat(22, 1, 20, 0, 12)),
                stat(99, 0, 0, 50, 1));
        // end: walsender +150, checkpointer +10, 22 ended with 60 ticks in all, a pgbench session (pid 30) started and
        // ended with 400, a backend started and still runs with 7, pid 21 was reused by a new process with 3;
        // the JVM reaped pgbench, which used 80
        PostgresCpu.Snapshot end = new PostgresCpu.Snapshot(stat(1, 0, 6, 1000 + 60 + 400 + 40, 1),
                Map.of(20, stat(20, 1, 450, 0, 10), 21, stat(21, 1, 3, 0, 77), 40, stat(40, 1, 7, 0, 80)),
                stat(99, 0, 0, 130, 1));

        PostgresCpu.Usage usage = PostgresCpu.usage(start, end, Set.of(walsender), 10.0, 100);

        assertThat(usage.walsender()).isEqualTo(1.5);
        // reaped 500 ticks: 22's 60 less its 20 before the start, the session's 400, old 21's 40 less its 40 before
        assertThat(usage.endedBackends()).isEqualTo(4.4);
        // postmaster +1, the new 21's 3, pid 40's 7
        assertThat(usage.otherServer()).isEqualTo(0.11);
        assertThat(usage.loadClient()).isEqualTo(0.8);
        assertThat(usage.server()).isEqualTo(1.5 + 4.4 + 0.11);
        assertThat(usage.cores(usage.walsender())).isEqualTo(0.15);
        assertThat(PostgresCpu.Usage.msPer(usage.walsender(), 1500)).isEqualTo(1.0);
        assertThat(PostgresCpu.Usage.msPer(usage.walsender(), 0)).isNaN();
    }

    @Test
    void waitsOnlyForNewChildrenTheServerNoLongerLists() {
        PostgresCpu.Snapshot start = new PostgresCpu.Snapshot(stat(1, 0, 0, 0, 1),
                Map.of(10, stat(10, 1, 0, 0, 5), 11, stat(11, 1, 0, 0, 6)), stat(99, 0, 0, 0, 1));
        // 10 is the syslogger (never listed, there before), 11 was reused by a session that is exiting,
        // 12 an exiting session, 13 an autovacuum worker the server lists
        PostgresCpu.Snapshot now = new PostgresCpu.Snapshot(stat(1, 0, 0, 0, 1),
                Map.of(10, stat(10, 1, 0, 0, 5), 11, stat(11, 1, 0, 0, 60), 12, stat(12, 1, 0, 0, 61),
                        13, stat(13, 1, 0, 0, 62)), stat(99, 0, 0, 0, 1));

        assertThat(PostgresCpu.unlisted(start, now, Set.of(13))).containsExactlyInAnyOrder(11, 12);
        assertThat(PostgresCpu.unlisted(start, now, Set.of(11, 12, 13))).isEmpty();
    }

    private static ProcStat stat(int pid, int ppid, long ticks, long childTicks, long start) {
        return new ProcStat(pid, "postgres", ppid, ticks, 0, childTicks, 0, start);
    }
}
