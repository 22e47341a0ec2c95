# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""images_to_load: the image references a host must load from the archives (archive transport of the images role)."""

from __future__ import annotations


def images_to_load(refs: list, manifest: dict, present: list) -> list:
    """The references of refs whose image on the host (present: the probe's image list, Id and Names) is missing
    or has another ID than the archive manifest ({ref: {id, file}}) records. Order kept, duplicates dropped."""
    host_ids = {name: image["Id"] for image in present for name in image.get("Names") or []}
    wanted = []
    for ref in refs:
        if ref not in wanted and host_ids.get(ref) != manifest.get(ref, {}).get("id"):
            wanted.append(ref)
    return wanted


class FilterModule:
    def filters(self):
        return {"images_to_load": images_to_load}
