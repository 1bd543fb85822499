"""What every upstream API client shares (Gcore's, SPP's): the kinds of failure, and the HTTP plumbing.

`dashboard/gcore/` and `dashboard/spp/` each own their URLs, models and status mapping; the error
kinds here let the save pipeline, the audit log and the web layer treat a failure the same way
whichever system it came from (`exc.system` names it in messages).
"""
