"""Input and output shapes of the staff inventory API (API.md, "Inventory")."""

from rest_framework import serializers


class AtpQuerySerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    location = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=100
    )


class LocationAtpSerializer(serializers.Serializer):
    location = serializers.CharField(source="location.code")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    in_transit_out = serializers.IntegerField()
    in_transit_in = serializers.IntegerField()
    safety_stock = serializers.IntegerField()
    atp = serializers.IntegerField()
    synced_at = serializers.DateTimeField(allow_null=True)


class AtpSerializer(serializers.Serializer):
    sku = serializers.CharField()
    atp = serializers.IntegerField()
    locations = LocationAtpSerializer(many=True)


class AdjustmentInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    location = serializers.CharField(max_length=40)
    delta = serializers.IntegerField()
    reason = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")
    reference = serializers.CharField(max_length=64, allow_blank=True, required=False, default="")


class MovementSerializer(serializers.Serializer):
    sku = serializers.CharField(source="variant.sku")
    location = serializers.CharField(source="location.code")
    kind = serializers.CharField()
    delta = serializers.IntegerField()
    on_hand_after = serializers.IntegerField()
    reason = serializers.CharField()
    reference = serializers.CharField()
    actor = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_actor(self, movement) -> str | None:
        return movement.actor.email if movement.actor_id else None


class LevelItemSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    on_hand = serializers.IntegerField()


class LevelsInputSerializer(serializers.Serializer):
    location = serializers.CharField(max_length=40)
    as_of = serializers.DateTimeField()
    items = LevelItemSerializer(many=True, allow_empty=False, max_length=10_000)
    event_id = serializers.CharField(max_length=128, required=False)


class WmsLevelsInputSerializer(LevelsInputSerializer):
    """The webhook's body: the WMS names every event, so a redelivery is recognised."""

    event_id = serializers.CharField(max_length=128)


class LevelsResultSerializer(serializers.Serializer):
    location = serializers.CharField()
    as_of = serializers.DateTimeField()
    applied = serializers.ListField(child=serializers.CharField())
    ignored = serializers.ListField(child=serializers.CharField())
    duplicate = serializers.BooleanField(default=False)
