"""The nn op families (convolutions, ...): each module registers its ops with @export."""
