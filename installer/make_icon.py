"""Draw the IFC Desktop app icon: installer/assets/app.ico (16-256 px) and app.png (256 px).

Run with any Python that has Pillow (needed only here, never at run time):
    python installer/make_icon.py
The results are committed, so builds do not need Pillow.
"""

from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parent / "assets"
SIZE = 1024  # drawn large, scaled down with antialiasing
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def draw(size: int = SIZE) -> Image.Image:
    """A blue tile with a white three-storey building block and a cyan version stack."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    u = size / 64  # drawing unit
    d.rounded_rectangle((2 * u, 2 * u, 62 * u, 62 * u), radius=12 * u, fill=(31, 78, 140, 255))
    # stacked "versions" behind the building
    for i, alpha in ((2, 110), (1, 170)):
        off = i * 3 * u
        d.rounded_rectangle(
            (18 * u + off, 12 * u - off, 46 * u + off, 52 * u - off),
            radius=2 * u,
            fill=(96, 200, 230, alpha),
        )
    # the building: body, floor lines, door
    d.rounded_rectangle((18 * u, 12 * u, 46 * u, 52 * u), radius=2 * u, fill=(255, 255, 255, 255))
    for y in (22, 32, 42):
        d.rectangle((18 * u, y * u, 46 * u, y * u + 1.5 * u), fill=(31, 78, 140, 255))
    for x in (22, 30, 38):
        for y in (15, 25, 35):
            d.rectangle((x * u, y * u, x * u + 4 * u, y * u + 4 * u), fill=(96, 200, 230, 255))
    d.rectangle((29 * u, 45 * u, 35 * u, 52 * u), fill=(31, 78, 140, 255))
    return img


def main() -> None:
    ASSETS.mkdir(exist_ok=True)
    big = draw()
    png = big.resize((256, 256), Image.LANCZOS)
    png.save(ASSETS / "app.png", optimize=True)
    big.resize((256, 256), Image.LANCZOS).save(ASSETS / "app.ico", sizes=ICO_SIZES)
    print(f"wrote {ASSETS / 'app.ico'} and {ASSETS / 'app.png'}")


if __name__ == "__main__":
    main()
