"""Background work of the CRM, run by `accord worker`."""

from django.tasks import task

from accord.crm.imports import jobs


@task
def run_import_job(job_id: int) -> None:
    jobs.run(job_id)
