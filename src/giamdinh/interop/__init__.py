"""FHIR, portal feedback lists and DICOM headers."""
