"""Which base image a component's VM boots from, and whether that VM can use it.

Components take `image` as a name from the stack config `hyperv-lab:images` (or the
`HYPERV_LAB_IMAGES` environment variable), looked up when the component is declared, or as a
`BaseImage` (a Python lab that describes its images in code; `components.lab` passes the
images `hyperv-lab:lab` was checked against). Every refusal is a one-line ValueError before
anything is registered, so `pulumi preview` shows it and nothing is created.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.config import IMAGES_KEY, ConfigSources, ImageSpec, parse_images


@dataclass(frozen=True)
class BaseImage:
    """A named base image: `spec` says where it is and what it holds."""

    name: str
    spec: ImageSpec


def resolve_image(image: str | BaseImage) -> BaseImage:
    """A `BaseImage` as is, or the image of that name from the stack config."""
    if isinstance(image, BaseImage):
        return image
    images = parse_images(ConfigSources.of_program().images)
    if image not in images:
        known = ", ".join(sorted(images)) or "none configured"
        raise ValueError(f"{IMAGES_KEY}: unknown image '{image}' (known: {known})")
    return BaseImage(image, images[image])


def check_image_for(
    component: str, image: BaseImage, generation: int, *, hyper_v_inside: bool
) -> None:
    """Refuse an image of another generation, or one that cannot run Hyper-V inside when the
    VM is a nested Hyper-V host."""
    spec = image.spec
    if spec.generation != generation:
        raise ValueError(
            f"{component} image: '{image.name}' is for generation {spec.generation} VMs, the "
            f"VM is generation {generation} (allowed: an image of generation {generation})"
        )
    refusal = spec.refuses_nested(image.name) if hyper_v_inside else None
    if refusal is not None:
        raise ValueError(f"{component} image: {refusal}")


__all__ = ["BaseImage", "check_image_for", "resolve_image"]
