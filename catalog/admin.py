"""The merchandiser's console: brands, the category tree, attributes, products and the search's
synonym groups.

A product, its options (with values typed as "S, M, L"), its variants (option values, weight and
a price per market currency), translations, attribute values and media are all edited on the
product page (catalog/admin_products.py); a variant's full price list and identifiers are on its
own page (catalog/admin_variants.py). The forms are in catalog/admin_forms.py, the spreadsheet
import and export views in catalog/admin_import.py.

Every write goes through catalog.services (shop.admin_mixins.ServiceSaveMixin): the forms only
check what was typed; when a service refuses, the submit rolls back and the page shows its
errors on the rows they name.
"""

from django.contrib import admin

from catalog import admin_products, admin_variants  # noqa: F401 - they register their pages
from catalog.models import Attribute, Brand, Category, SearchSynonym
from catalog.services import brands, search_index, taxonomy
from shop.admin_mixins import ServiceSaveMixin
from shop.forms import StorableTextModelForm


@admin.register(Brand)
class BrandAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj, form, change):
        # Through the service: a renamed brand's products are found by the new name.
        self.call_service(brands.save_brand, brand=obj, actor=request.user)


@admin.register(Category)
class CategoryAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = ["path", "name", "parent", "position"]
    list_select_related = ["parent"]
    search_fields = ["name", "path"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["path"]
    fields = ["name", "slug", "parent", "path", "description", "position"]
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj, form, change):
        # Through the taxonomy services, so the storefront's navigation changes version.
        values = {
            "name": obj.name,
            "slug": obj.slug,
            "parent": obj.parent,
            "position": obj.position,
            "description": obj.description,
        }
        if change:
            saved = self.call_service(
                taxonomy.update_category, category=obj, actor=request.user, **values
            )
        else:
            saved = self.call_service(taxonomy.create_category, **values)
        obj.pk, obj.path = saved.pk, saved.path


@admin.register(Attribute)
class AttributeAdmin(ServiceSaveMixin, admin.ModelAdmin):
    form = StorableTextModelForm  # name_translations is JSON: a "\u0000" escape is a form error
    list_display = ["code", "name", "kind", "unit", "is_filterable", "position"]
    list_filter = ["kind", "is_filterable"]
    search_fields = ["code", "name"]
    prepopulated_fields = {"code": ["name"]}

    def save_model(self, request, obj, form, change):
        # Through the taxonomy services, so pages showing its name change version.
        values = {
            "code": obj.code,
            "name": obj.name,
            "kind": obj.kind,
            "unit": obj.unit,
            "is_filterable": obj.is_filterable,
            "position": obj.position,
            "name_translations": obj.name_translations,
        }
        if change:
            saved = self.call_service(
                taxonomy.update_attribute, attribute=obj, actor=request.user, **values
            )
        else:
            saved = self.call_service(taxonomy.create_attribute, **values)
        obj.pk = saved.pk


@admin.register(SearchSynonym)
class SearchSynonymAdmin(ServiceSaveMixin, admin.ModelAdmin):
    """Synonym groups for the storefront search ("t-shirt, tee, tshirt"): a search for any
    phrase of a group also finds what the others find. Saved and deleted through
    catalog.services.search_index; Merchandisers edit them, other staff read them."""

    form = StorableTextModelForm
    list_display = ["phrases", "updated_at"]
    search_fields = ["phrases"]
    fields = ["phrases"]

    def save_model(self, request, obj, form, change):
        self.call_service(search_index.save_synonym_group, group=obj, actor=request.user)

    def delete_model(self, request, obj):
        self.call_service(search_index.delete_synonym_groups, groups=[obj], actor=request.user)

    def delete_queryset(self, request, queryset):
        search_index.delete_synonym_groups(groups=list(queryset), actor=request.user)
