# Firebreak's production executable (cli/target/firebreak.jar: no embedded stack, demo or benchmarks)
# in an image; docker-compose.yml runs it once per stage:
# `firebreak service <ingest|detection|killswitch|oncall> --config <file>`.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -ntp -DskipTests -pl cli -am package

FROM eclipse-temurin:17-jre
# curl for the compose health checks (GET /metrics).
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
# uid 999 is the postgres user of the postgres image: ingest's server-log path reads PostgreSQL's
# data directory from a shared read-only volume, which only its owner may enter (mode 0700).
RUN groupadd --system -o --gid 999 firebreak \
    && useradd --system -o --uid 999 --gid 999 --home-dir /var/lib/firebreak --no-create-home firebreak \
    && mkdir -p /var/lib/firebreak /opt/firebreak \
    && chown firebreak:firebreak /var/lib/firebreak
COPY --from=build /src/cli/target/firebreak.jar /opt/firebreak/firebreak.jar
USER firebreak
WORKDIR /var/lib/firebreak
# ParallelGC: G1's concurrent threads compete with the pipeline for CPU on small machines (README).
ENTRYPOINT ["java", "-XX:+UseParallelGC", "-XX:MaxRAMPercentage=50", "-jar", "/opt/firebreak/firebreak.jar"]
CMD ["--help"]
