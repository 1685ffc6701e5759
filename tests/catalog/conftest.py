# The admin page fixtures (a logged-in merchandiser, the two-variant "tee" product) are shared
# by the admin tests split by subject (publishing, retired SKUs, conflicts, stock warnings).
from tests.catalog.test_admin import merch_client, tee  # noqa: F401
