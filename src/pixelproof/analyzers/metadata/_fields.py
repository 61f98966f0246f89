"""The IPTC Photo Metadata fields an image carries (the set Winston AI answers with), each read
from XMP first, then IPTC-IIM, then the EXIF or PNG-text tag that older writers use."""

from PIL import ExifTags
from pydantic import BaseModel, ConfigDict, Field

from ..carriers import XmpProperties
from ._readers import TEXT_LIMIT, text_value


# Where each IptcFields field is read from: its properties in XMP (the IPTC Photo Metadata
# Standard's), in order of preference, then its IPTC-IIM dataset (record 2), if it has one.
IPTC_SOURCES: dict[str, tuple[tuple[str, ...], int | None]] = {
    "date_created": (("photoshop:DateCreated",), 55),
    "description": (("dc:description",), 120),
    "headline": (("photoshop:Headline",), 105),
    "max_avail_width": (("Iptc4xmpExt:MaxAvailWidth",), None),
    "max_avail_height": (("Iptc4xmpExt:MaxAvailHeight",), None),
    "image_rating": (("xmp:Rating",), None),
    "description_writer": (("photoshop:CaptionWriter",), 122),
    "genre": (("Iptc4xmpExt:Genre", "Iptc4xmpCore:IntellectualGenre"), 4),
    "rights_usage_terms": (("xmpRights:UsageTerms",), None),
    "scene_code": (("Iptc4xmpCore:Scene",), None),
    "additional_model_information": (("Iptc4xmpExt:AddlModelInfo",), None),
    "creator": (("dc:creator",), 80),
    "credit_line": (("photoshop:Credit",), 110),
    "copyright_notice": (("dc:rights",), 116),
    "image_supplier": (("plus:ImageSupplier",), None),
    "location_created": (("Iptc4xmpExt:LocationCreated",), None),
    "minor_model_age_disclosure": (("plus:MinorModelAgeDisclosure",), None),
    "web_statement_of_rights": (("xmpRights:WebStatement",), None),
    "model_age": (("Iptc4xmpExt:ModelAge",), None),
    "image_supplier_image_id": (("plus:ImageSupplierImageID",), None),
    "linked_encoded_rights_expression": (("Iptc4xmpExt:LinkedEncRightsExpr",), None),
    "data_mining": (("plus:DataMining",), None),
    "artwork": (("Iptc4xmpExt:ArtworkOrObject",), None),
    "image_registry_entry": (("Iptc4xmpExt:RegistryId",), None),
    "city": (("photoshop:City",), 90),
    "code_of_organisation_featured_in_the_image": (("Iptc4xmpExt:OrganisationInImageCode",), None),
    "event_identifier": (("Iptc4xmpExt:EventId",), None),
    "event_name": (("Iptc4xmpExt:Event",), None),
    "contributor": (("Iptc4xmpExt:Contributor",), None),
    "copyright_owner": (("plus:CopyrightOwner",), None),
    "country": (("photoshop:Country",), 101),
    "digital_source_type": (("Iptc4xmpExt:DigitalSourceType",), None),
    "property_release_id": (("plus:PropertyReleaseID",), None),
    "property_release_status": (("plus:PropertyReleaseStatus",), None),
    "name_of_organisation_featured_in_the_image": (("Iptc4xmpExt:OrganisationInImageName",), None),
    "source": (("photoshop:Source",), 115),
    "digital_image_guid": (("Iptc4xmpExt:DigImageGUID",), None),
    "licensor": (("plus:Licensor",), None),
    "keywords": (("dc:subject",), 25),
    "image_creator": (("plus:ImageCreator",), None),
    "instructions": (("photoshop:Instructions",), 40),
    "title": (("dc:title",), 5),
}


class IptcFields(BaseModel):
    """The IPTC Photo Metadata fields (those Winston AI answers), from XMP, IPTC-IIM, then EXIF/PNG text."""

    model_config = ConfigDict(extra="forbid")

    date_created: str | None = None
    description: str | None = None
    headline: str | None = None
    max_avail_width: str | None = None
    max_avail_height: str | None = None
    image_rating: str | None = None
    description_writer: str | None = None
    genre: str | None = None
    rights_usage_terms: str | None = None
    scene_code: str | None = None
    additional_model_information: str | None = None
    creator: str | None = None
    credit_line: str | None = None
    copyright_notice: str | None = None
    image_supplier: str | None = None
    location_created: str | None = None
    minor_model_age_disclosure: str | None = None
    web_statement_of_rights: str | None = None
    model_age: str | None = None
    image_supplier_image_id: str | None = None
    linked_encoded_rights_expression: str | None = None
    data_mining: str | None = None
    artwork: str | None = None
    image_registry_entry: str | None = None
    city: str | None = None
    code_of_organisation_featured_in_the_image: str | None = None
    event_identifier: str | None = None
    event_name: str | None = None
    contributor: str | None = None
    copyright_owner: str | None = None
    country: str | None = None
    digital_source_type: str | None = None  # as written: usually the full cv.iptc.org URL
    property_release_id: str | None = None
    property_release_status: str | None = None
    name_of_organisation_featured_in_the_image: str | None = None
    source: str | None = None
    digital_image_guid: str | None = None
    licensor: str | None = None
    keywords: list[str] = Field(default_factory=list)
    image_creator: str | None = None
    instructions: str | None = None
    title: str | None = None


def iptc_fields(xmp: XmpProperties, iim: dict[int, list[str]], exif, sub, png_text: dict[str, str]) -> IptcFields:
    fallback = {
        "description": [exif.get(ExifTags.Base.ImageDescription), png_text.get("Description")],
        "creator": [exif.get(ExifTags.Base.Artist), png_text.get("Author")],
        "copyright_notice": [exif.get(ExifTags.Base.Copyright), png_text.get("Copyright")],
        "title": [png_text.get("Title")],
        "date_created": [sub.get(ExifTags.Base.DateTimeOriginal), png_text.get("Creation Time")],
    }
    values: dict = {}
    for field, (properties, dataset) in IPTC_SOURCES.items():
        found = next((xmp[p] for p in properties if xmp.get(p)), None) or (iim.get(dataset) if dataset else None)
        if field == "keywords":
            values[field] = [k[:TEXT_LIMIT] for k in dict.fromkeys(found or [])]
        elif found:
            values[field] = text_value("; ".join(dict.fromkeys(found)))
        else:
            values[field] = next((t for t in map(text_value, fallback.get(field, [])) if t), None)
    return IptcFields(**values)
