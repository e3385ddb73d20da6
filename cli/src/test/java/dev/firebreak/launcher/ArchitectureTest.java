package dev.firebreak.launcher;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.firebreak.detect.DetectionService;
import dev.firebreak.detect.DetectionStage;
import dev.firebreak.export.ocsf.ExportStage;
import dev.firebreak.export.ocsf.OcsfExporter;
import dev.firebreak.ingest.IngestStage;
import dev.firebreak.ingest.postgres.PostgresCapture;
import dev.firebreak.killswitch.KillSwitchService;
import dev.firebreak.killswitch.KillSwitchStage;
import dev.firebreak.oncall.OnCallService;
import dev.firebreak.oncall.OnCallStage;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shape of the house, checked on the production classes (tests and the dev launcher excluded):
 * each stage is assembled by its own factory and nowhere else, and the stage modules talk only
 * through the contract in {@code schemas} (topics, Avro, {@code Principal}), never to each other.
 */
class ArchitectureTest {
    private static final String INGEST = "dev.firebreak.ingest..";
    private static final String DETECTION = "dev.firebreak.detect..";
    private static final String KILL_SWITCH = "dev.firebreak.killswitch..";
    private static final String ON_CALL = "dev.firebreak.oncall..";
    private static final String EXPORT = "dev.firebreak.export..";
    private static final List<String> STAGES = List.of(INGEST, DETECTION, KILL_SWITCH, ON_CALL, EXPORT);

    private static JavaClasses production;

    @BeforeAll
    static void importProductionClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.firebreak");
    }

    @Test
    void eachStageIsAssembledOnlyByItsFactory() {
        assembledOnlyBy(PostgresCapture.class, IngestStage.class,
                noClasses().that().doNotHaveFullyQualifiedName(IngestStage.class.getName())
                        .and().doNotHaveFullyQualifiedName(PostgresCapture.class.getName())
                        .should().callConstructorWhere(target(PostgresCapture.class)));
        assembledOnlyBy(DetectionService.class, DetectionStage.class,
                noClasses().that().doNotHaveFullyQualifiedName(DetectionStage.class.getName())
                        .should().callConstructorWhere(target(DetectionService.class)));
        assembledOnlyBy(KillSwitchService.class, KillSwitchStage.class,
                noClasses().that().doNotHaveFullyQualifiedName(KillSwitchStage.class.getName())
                        .and().doNotHaveFullyQualifiedName(KillSwitchService.class.getName())
                        .should().callMethodWhere(startOf(KillSwitchService.class)));
        assembledOnlyBy(OnCallService.class, OnCallStage.class,
                noClasses().that().doNotHaveFullyQualifiedName(OnCallStage.class.getName())
                        .and().doNotHaveFullyQualifiedName(OnCallService.class.getName())
                        .should().callMethodWhere(startOf(OnCallService.class)));
        assembledOnlyBy(OcsfExporter.class, ExportStage.class,
                noClasses().that().doNotHaveFullyQualifiedName(ExportStage.class.getName())
                        .and().doNotHaveFullyQualifiedName(OcsfExporter.class.getName())
                        .should().callMethodWhere(startOf(OcsfExporter.class)));
    }

    @Test
    void theRulesSeeTheStagesAndCatchAnOffender() {
        assertThat(production.contain(PostgresCapture.class) && production.contain(KillSwitchService.class)
                && production.contain(IngestStage.class)).as("stage classes imported").isTrue();
        JavaClasses offender = new ClassFileImporter().importClasses(Offender.class);
        assertThatThrownBy(() -> noClasses().should().callConstructorWhere(target(DetectionService.class)).check(offender))
                .isInstanceOf(AssertionError.class).hasMessageContaining("Offender");
    }

    /** Builds a stage service outside its factory: what the rules above forbid. Never run. */
    static final class Offender {
        static Object assemble() {
            return new DetectionService(null, null);
        }
    }

    @Test
    void stageModulesDoNotReachIntoEachOther() {
        for (String stage : STAGES) {
            String[] others = STAGES.stream().filter(s -> !s.equals(stage)).toArray(String[]::new);
            noClasses().that().resideInAPackage(stage)
                    .should().dependOnClassesThat().resideInAnyPackage(others)
                    .because("stages talk through topics and the contract in schemas, so each can run, scale and fail alone")
                    .check(production);
        }
    }

    @Test
    void noStageDependsOnTheCommandLine() {
        noClasses().that().resideInAnyPackage(STAGES.toArray(String[]::new))
                .or().resideInAnyPackage("dev.firebreak.schema..", "dev.firebreak.config..", "dev.firebreak.stage..",
                        "dev.firebreak.rules..")
                .should().dependOnClassesThat().resideInAPackage("dev.firebreak.launcher..")
                .check(production);
    }

    private static void assembledOnlyBy(Class<?> service, Class<?> factory, ArchRule rule) {
        rule.because(service.getSimpleName() + " is built only by " + factory.getSimpleName()
                + ", which service <stage> and the demo's Pipeline both run").check(production);
    }

    private static com.tngtech.archunit.base.DescribedPredicate<com.tngtech.archunit.core.domain.JavaConstructorCall> target(
            Class<?> owner) {
        return com.tngtech.archunit.base.DescribedPredicate.describe("a constructor of " + owner.getSimpleName(),
                call -> call.getTargetOwner().isEquivalentTo(owner));
    }

    private static com.tngtech.archunit.base.DescribedPredicate<com.tngtech.archunit.core.domain.JavaMethodCall> startOf(
            Class<?> owner) {
        return com.tngtech.archunit.base.DescribedPredicate.describe(owner.getSimpleName() + ".start(..)",
                call -> call.getTargetOwner().isEquivalentTo(owner) && call.getName().equals("start"));
    }
}
