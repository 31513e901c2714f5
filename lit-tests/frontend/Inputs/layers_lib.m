# A library for import.m: its host statements are not run by the importer.
import "scale_lib.m"

model Head(dim: int, classes: int) {
    fc = Linear(dim, classes)

    fn forward(x: f32[N, dim]) -> f32[N, classes] {
        return scaled(fc(x), 2.0)
    }
}

print("this line belongs to the library and is not run by importers")
