Hijack.on(:write) {
