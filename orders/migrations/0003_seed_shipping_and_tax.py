from django.db import migrations

from orders.migrations._defaults import seed


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_order_events_append_only")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
