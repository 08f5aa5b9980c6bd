# The operator image: `docker build -t kuberay-python/operator:0.1.0 .`
# The Helm chart, the kustomize base and `kuberay install` run it as `kuberay operator ...`.
FROM python:3.11-slim

# No .pyc writes at run time (the root filesystem is read-only in the Deployment), logs unbuffered.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only what the package build needs, so edits to tests or docs do not bust the layer cache.
COPY pyproject.toml README.md /src/
COPY src /src/src
# The operator only: Ray, localkube's test clients and the dev tools are extras it does not need.
RUN pip install /src && rm -rf /src

# The same uid/gid the Deployment's securityContext asks for (runAsNonRoot).
RUN groupadd --system --gid 1000 kuberay \
    && useradd --system --uid 1000 --gid 1000 --no-create-home --home-dir /nonexistent kuberay
USER 1000:1000

EXPOSE 8080 8082
ENTRYPOINT ["kuberay", "operator"]
